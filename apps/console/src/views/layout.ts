import type { Role } from '@firstmile/contracts';
import { html, type Html, raw } from '../pages/html';
import type { Caller } from './session';

const NAV: Partial<Record<Role, [string, string][]>> = {
  coop_manager: [['/lots', 'Lots'], ['/lots/new', 'Log a lot'], ['/growers', 'Growers & orchards'], ['/settlements', 'Settlements']],
  grading_line: [['/grading', 'Lots to grade']],
  warehouse_operator: [['/stock', 'Stock'], ['/transfers', 'Transfers'], ['/dispatch', 'Dispatch']],
  logistics_operator: [['/shipments', 'Shipments']],
  buyer: [['/orders', 'Orders'], ['/orders/new', 'Place an order']],
  ops: [['/ops', 'System'], ['/lots', 'Lots'], ['/shipments', 'Shipments'], ['/orders', 'Orders'], ['/county', 'Counties']],
  county_official: [['/county', 'County']],
};

export function who(caller: Caller): string {
  const p = caller.principal;
  const scope = p.coop ?? p.buyer ?? p.county ?? (p.warehouses?.length ? p.warehouses.join(', ') : undefined);
  return `${p.role}${scope ? ` · ${scope}` : ''}`;
}

/** Every signed-in page: a skip link, the role's navigation, who is signed in, sign-out. */
export function page(title: string, caller: Caller | null, body: Html | string | readonly (Html | string)[], opts: { narrow?: boolean } = {}): string {
  const nav = caller ? NAV[caller.principal.role] ?? [] : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Firstmile</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="bar"><strong>Firstmile</strong>
${nav.length ? html`<nav aria-label="Main"><ul>${nav.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}</ul></nav>` : ''}
${caller ? html`<span class="who">${who(caller)}</span><form method="post" action="/signout"><button type="submit">Sign out</button></form>` : ''}
</header>
<main id="main"${opts.narrow ? html` class="narrow"` : ''}>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}

/** A form field with its label, hint and the server's (or the browser's) error, wired for screen readers. */
export function field(
  name: string,
  label: string,
  input: { id?: string; type?: string; value?: string | number | null; attrs?: string; options?: [string, string][]; hint?: string; errors?: Record<string, string> },
): Html {
  const id = input.id ?? `f-${name.replace(/[^a-zA-Z0-9]/g, '-')}`;
  const error = input.errors?.[name];
  const described = [input.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = html`id="${id}" name="${name}"${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
  // `attrs` holds constraint attributes written by the views themselves (required, min, max…), never user input.
  const attrs = raw(input.attrs ? ` ${input.attrs}` : '');
  const control = input.options
    ? html`<select ${common}${attrs}>${input.options.map(([v, l]) => html`<option value="${v}"${String(input.value ?? '') === v ? html` selected` : ''}>${l}</option>`)}</select>`
    : input.type === 'textarea'
      ? html`<textarea ${common}${attrs}>${input.value ?? ''}</textarea>`
      : html`<input ${common} type="${input.type ?? 'text'}" value="${input.value ?? ''}"${attrs}>`;
  return html`<div><label for="${id}">${label}</label>${control}${input.hint ? html`<p class="hint" id="${id}-hint">${input.hint}</p>` : ''}${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}</div>`;
}

export function problemBanner(problem: { title?: string; detail?: string; status?: number } | undefined): Html | string {
  if (!problem) return '';
  return html`<div class="alert" role="alert"><strong>${problem.title ?? 'Error'}</strong>${problem.detail ? html`: ${problem.detail}` : ''}</div>`;
}

export const fmtKg = (kg: number | undefined | null): string => (typeof kg === 'number' ? `${kg.toLocaleString('en-US', { maximumFractionDigits: 3 })} kg` : '—');
export const fmtTime = (iso: string | undefined | null): string => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—');
export const fmtDate = (iso: string | undefined | null): string => (iso ? new Date(iso).toISOString().slice(0, 10) : '—');
