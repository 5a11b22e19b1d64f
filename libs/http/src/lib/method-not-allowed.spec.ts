import Fastify from 'fastify';
import { answerMethodNotAllowed } from './method-not-allowed';

describe('answerMethodNotAllowed', () => {
  const app = Fastify();
  answerMethodNotAllowed(app);
  app.get('/v1/lots', () => []);
  app.post('/v1/lots', () => ({}));
  app.get('/v1/lots/:id', () => ({}));

  afterAll(() => app.close());

  it('answers 405 problem+json with Allow for a path that exists with other methods', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/v1/lots?x=1' });
    expect(res.statusCode).toBe(405);
    expect(res.headers['allow']).toBe('GET, HEAD, POST');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 405, type: 'urn:firstmile:problem:method-not-allowed', instance: '/v1/lots' });
    const one = await app.inject({ method: 'PUT', url: '/v1/lots/LOT-1' });
    expect({ status: one.statusCode, allow: one.headers['allow'] }).toEqual({ status: 405, allow: 'GET, HEAD' });
  });

  it('leaves unknown paths to 404 and known routes alone', async () => {
    expect((await app.inject({ method: 'DELETE', url: '/v1/nothing' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/lots' })).statusCode).toBe(200);
  });
});
