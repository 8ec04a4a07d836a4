import fs from 'node:fs';
import path from 'node:path';

/**
 * The mails' words, as files in the repository (src/mail/templates/<name>.txt and .html): a
 * plain-text and an HTML body each, with {{placeholders}}. The first line of the .txt is the
 * subject. Read once at start-up; from dist/src/mail/ they are found under the source tree.
 */
export const TEMPLATE_NAMES = ['verify-email', 'reset-password', 'magic-link', 'change-email', 'email-changed'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export type TemplateValues = Record<string, string>;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const CANDIDATE_DIRS = [path.resolve(__dirname, 'templates'), path.resolve(__dirname, '..', '..', '..', 'src', 'mail', 'templates')];

function templatesDir(): string {
  const found = CANDIDATE_DIRS.find((dir) => fs.existsSync(path.join(dir, 'verify-email.txt')));
  if (!found) throw new Error(`mail templates not found (looked in ${CANDIDATE_DIRS.join(', ')})`);
  return found;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fill(template: string, values: TemplateValues, escape: (value: string) => string): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`mail template placeholder {{${name}}} has no value`);
    return escape(value);
  });
}

export function loadTemplates() {
  const dir = templatesDir();
  const templates = new Map<TemplateName, { subject: string; text: string; html: string }>();
  for (const name of TEMPLATE_NAMES) {
    const [subject, ...body] = fs.readFileSync(path.join(dir, `${name}.txt`), 'utf8').split('\n');
    templates.set(name, { subject: subject!.trim(), text: body.join('\n').replace(/^\n+/, ''), html: fs.readFileSync(path.join(dir, `${name}.html`), 'utf8') });
  }
  return {
    render(name: TemplateName, values: TemplateValues): RenderedMail {
      const template = templates.get(name)!;
      return { subject: fill(template.subject, values, (v) => v), text: fill(template.text, values, (v) => v), html: fill(template.html, values, escapeHtml) };
    },
  };
}

export type Templates = ReturnType<typeof loadTemplates>;
