import mongoose from 'mongoose';
import { MongoModule } from './mongo.module';

describe('MongoModule', () => {
  it('keeps mongoose from formatting a stack trace at every query (costly under --enable-source-maps)', () => {
    mongoose.set('skipOriginalStackTraces', false);
    MongoModule.forRoot({ database: 'any' });
    expect(mongoose.get('skipOriginalStackTraces')).toBe(true);
  });
});
