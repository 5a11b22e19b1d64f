import { Body, Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import type { Principal, Role } from '@firstmile/contracts';
import { TokenVerifier } from '@firstmile/http';
import { html } from '../pages/html';
import type { ConsoleEnv } from '../console.env';
import { field, page } from './layout';
import { type Caller, cookieOf, CurrentCaller, SESSION_COOKIE, sameOrigin, SignedInGuard } from './session';

/** Where each role lands after signing in. */
export const HOME: Partial<Record<Role, string>> = {
  coop_manager: '/lots',
  grading_line: '/grading',
  warehouse_operator: '/stock',
  logistics_operator: '/shipments',
  buyer: '/orders',
  ops: '/ops',
  county_official: '/county',
};

const homeOf = (role: Role): string => HOME[role] ?? '/welcome';

/**
 * Sign-in by token: the identity provider (or `npm run token` in development) issues it, the person
 * pastes it once, and it lives in an HttpOnly, SameSite=Strict cookie that page scripts cannot read.
 * In development, the tokens `npm start` prints are offered as one-click demo roles.
 */
@Controller()
export class SessionController {
  private readonly demoFile: string | undefined;
  private readonly secure: boolean;

  constructor(
    private readonly verifier: TokenVerifier,
    config: ConfigService<ConsoleEnv, true>,
  ) {
    this.demoFile = config.get('CONSOLE_DEMO_TOKENS_FILE', { infer: true });
    this.secure = config.get('COOKIE_SECURE', { infer: true });
  }

  @Get()
  async home(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const principal = await this.principalOf(cookieOf(req.headers.cookie, SESSION_COOKIE));
    return reply.redirect(principal ? homeOf(principal.role) : '/signin', 303);
  }

  @Get('signin')
  signInPage(@Res() reply: FastifyReply) {
    return reply.type('text/html; charset=utf-8').send(this.signInHtml());
  }

  @Post('signin')
  async signIn(@Body() body: { token?: string; demo?: string }, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (!sameOrigin(req)) return reply.status(403).type('text/html; charset=utf-8').send(this.signInHtml('Cross-site sign-in refused.'));
    const token = body.demo !== undefined ? this.demoTokens()[body.demo] : body.token?.trim();
    const principal = await this.principalOf(token);
    if (!token || !principal) {
      return reply.status(400).type('text/html; charset=utf-8').send(this.signInHtml('That token was not accepted: it is malformed, expired or not signed by the identity provider.'));
    }
    const exp = (principal as Principal & { exp?: number }).exp;
    const maxAge = exp ? Math.max(0, exp - Math.floor(Date.now() / 1000)) : 3600;
    void reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secure ? '; Secure' : ''}`);
    return reply.redirect(homeOf(principal.role), 303);
  }

  /** Roles the console has no view for yet (county officials read insights' API). */
  @Get('welcome')
  @UseGuards(SignedInGuard)
  welcome(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    return reply.type('text/html; charset=utf-8').send(page('Signed in', caller, html`<p>The console has no view for the role ${caller.principal.role} yet.</p>`, { narrow: true }));
  }

  @Post('signout')
  signOut(@Res() reply: FastifyReply) {
    void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secure ? '; Secure' : ''}`);
    return reply.redirect('/signin', 303);
  }

  private async principalOf(token: string | undefined): Promise<Principal | null> {
    if (!token) return null;
    try {
      return (await this.verifier.verify(token)) as unknown as Principal;
    } catch {
      return null;
    }
  }

  /** Read on every visit: `npm start` writes the file after seeding, once the console is already up. */
  private demoTokens(): Record<string, string> {
    if (!this.demoFile || !fs.existsSync(this.demoFile)) return {};
    try {
      return JSON.parse(fs.readFileSync(this.demoFile, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private signInHtml(error?: string): string {
    const demos = Object.keys(this.demoTokens());
    return page(
      'Sign in',
      null,
      [
        error ? html`<div class="alert" role="alert">${error}</div>` : html``,
        html`<form class="card" method="post" action="/signin">
${field('token', 'Access token', { type: 'textarea', attrs: 'required rows="4" autocomplete="off" spellcheck="false"', hint: 'Paste the token your administrator gave you (in development: npm run token -- --role …).' })}
<button type="submit">Sign in</button>
</form>`,
        demos.length
          ? html`<section class="card" aria-labelledby="demo-h"><h2 id="demo-h">Demo roles (development)</h2><form method="post" action="/signin" class="demo">${demos.map((d) => html`<button type="submit" name="demo" value="${d}" class="secondary">${d}</button>`)}</form></section>`
          : html``,
      ],
      { narrow: true },
    );
  }
}
