import { Mongoose, Schema } from 'mongoose';
import { storedForm } from './lean-inserts';

describe('storedForm', () => {
  const Model = new Mongoose().model(
    'StoredFormSpec',
    new Schema({ _id: String, kg: { type: Number, required: true }, at: Date, tags: { type: [String], default: [] } }, { versionKey: false }),
  );

  it('is the document as mongoose would store it: cast, with its defaults', () => {
    const at = new Date('2026-09-20T08:00:00Z');
    expect(storedForm(Model as never, { _id: 'a', kg: 1, at })).toStrictEqual({ _id: 'a', kg: 1, at, tags: [] });
    expect(storedForm(Model as never, { _id: 'a', kg: '2', at: at.toISOString(), tags: [] })).toStrictEqual({ _id: 'a', kg: 2, at, tags: [] });
  });

  it('throws what mongoose would refuse', () => {
    expect(() => storedForm(Model as never, { _id: 'a', tags: [] })).toThrow(/kg.*required/);
  });
});
