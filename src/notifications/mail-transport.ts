import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';

export interface MailMessage {
  /** The outbox id: the Message-ID and the sink's file name, so a retry is recognisably the same mail. */
  id: string;
  to: string;
  subject: string;
  text: string;
}

export interface MailTransport {
  /** Resolves once the mail is handed over (accepted by the SMTP server, or the file is in place). */
  send(message: MailMessage): Promise<void>;
  /** Releases connections; the worker calls it once, from stop(). */
  close?(): void;
}

/** How long one mail may take to hand over; the worker enforces it too, and keeps its lease longer. */
export const DEFAULT_SEND_TIMEOUT_MS = 20_000;

/** A mail no retry can deliver (e.g. a recipient that is not one address): the worker gives up at once. */
export class PermanentMailError extends Error {
  override readonly name = 'PermanentMailError';
}

// One plain address and nothing else: a comma, a display name or a line break would let a stored value
// add recipients or headers. The GraphQL EmailAddress scalar is stricter; this is the last line.
const singleAddress = /^[^\s@,;:<>()[\]\\"]+@[^\s@,;:<>()[\]\\"]+$/;

/** The domain of the From address, for Message-IDs (`Hub <no-reply@hub.example>` → `hub.example`). */
export function senderDomain(from: string): string {
  return /@([^\s@<>]+)>?\s*$/.exec(from)?.[1] ?? 'identity-hub.local';
}

/** The message both transports send, so the .eml file is byte for byte what SMTP would carry. */
function composeMail(from: string, m: MailMessage): SendMailOptions {
  if (m.to.length > 254 || !singleAddress.test(m.to)) throw new PermanentMailError(`not a single e-mail address: ${JSON.stringify(m.to.slice(0, 300))}`);
  return {
    from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    messageId: `<${m.id}@${senderDomain(from)}>`,
    // RFC 3834: out-of-office responders must not answer a notification.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}

/**
 * Real delivery over SMTP: `smtp://user:pass@host:port` (STARTTLS required; `?tls=off` for a local relay
 * without TLS) or `smtps://…` (TLS from the first byte, certificate verified).
 */
export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;

  constructor(
    url: string,
    private readonly from: string,
    timeoutMs = DEFAULT_SEND_TIMEOUT_MS,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error('SMTP_URL is not a URL (smtp://user:pass@host:port or smtps://…)');
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error(`SMTP_URL must start with smtp:// or smtps://, got ${u.protocol}//`);
    const secure = u.protocol === 'smtps:';
    const tlsOff = u.searchParams.get('tls') === 'off';
    this.transporter = nodemailer.createTransport({
      host: u.hostname,
      port: Number(u.port || (secure ? 465 : 587)),
      secure,
      auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
      // Without TLS a server that "forgets" to offer STARTTLS would get the password in clear text.
      requireTLS: !secure && !tlsOff,
      ignoreTLS: tlsOff,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(m: MailMessage): Promise<void> {
    await this.transporter.sendMail(composeMail(this.from, m));
  }

  close(): void {
    this.transporter.close();
  }
}

/**
 * The embedded default: each mail becomes `<id>.eml` under the directory (DATA_DIR/mail), so `npm start`
 * works without a mail server. Written to a temp file, synced and renamed, so a reader never sees half a
 * mail, and named by the outbox id, so a retry replaces the file instead of adding one.
 */
export class FileSinkTransport implements MailTransport {
  private readonly composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(
    private readonly dir: string,
    private readonly from: string,
  ) {}

  async send(m: MailMessage): Promise<void> {
    if (!/^[\w-]+$/.test(m.id)) throw new PermanentMailError(`unsafe file name for mail ${JSON.stringify(m.id)}`);
    const { message } = await this.composer.sendMail(composeMail(this.from, m));
    if (!Buffer.isBuffer(message)) throw new Error('nodemailer did not buffer the message');
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${m.id}.eml`);
    // A private temp name: two writers of one id (a worker past its lease) must not share a half-written file.
    const temp = join(this.dir, `.${m.id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(message);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  close(): void {
    this.composer.close();
  }
}

/** SMTP when a URL is configured, otherwise the file sink under `<dataDir>/mail`. */
export function createMailTransport(options: { smtpUrl: string | undefined; mailFrom: string; dataDir: string; sendTimeoutMs?: number }): MailTransport {
  return options.smtpUrl
    ? new SmtpTransport(options.smtpUrl, options.mailFrom, options.sendTimeoutMs)
    : new FileSinkTransport(join(options.dataDir, 'mail'), options.mailFrom);
}
