import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

export interface MailMessage {
  /** The outbox id: the Message-ID and the sink's file name, so a retry is recognisably the same mail. */
  id: string;
  to: string;
  subject: string;
  text: string;
}

export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

const messageId = (id: string, domain: string) => `<${id}@${domain}>`;

/** Real delivery over SMTP (SMTP_URL, e.g. smtps://user:pass@mail.example.se:465). */
export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;

  constructor(
    url: string,
    private readonly from: string,
    timeoutMs = 15_000,
  ) {
    const u = new URL(url);
    this.transporter = nodemailer.createTransport({
      host: u.hostname,
      port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 587)),
      secure: u.protocol === 'smtps:',
      auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
      // Plain smtp:// to a local relay may run without TLS; smtps:// always verifies the certificate.
      ignoreTLS: u.searchParams.get('tls') === 'off',
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(m: MailMessage): Promise<void> {
    const domain = this.from.split('@')[1]?.replace(/>$/, '') || 'identity-hub.local';
    await this.transporter.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text, messageId: messageId(m.id, domain) });
  }

  close(): void {
    this.transporter.close();
  }
}

/**
 * The embedded default: each mail becomes an .eml file under <DATA_DIR>/mail, written atomically and
 * named by its outbox id, so `npm start` works without a mail server and a retry overwrites itself.
 */
export class FileSinkTransport implements MailTransport {
  constructor(
    private readonly dir: string,
    private readonly from: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  async send(m: MailMessage): Promise<void> {
    const eml = [
      `From: ${this.from}`,
      `To: ${m.to}`,
      `Subject: ${m.subject}`,
      `Message-ID: ${messageId(m.id, 'identity-hub.local')}`,
      `Date: ${new Date().toUTCString()}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      m.text,
      '',
    ].join('\r\n');
    const file = join(this.dir, `${m.id}.eml`);
    writeFileSync(`${file}.tmp`, eml);
    renameSync(`${file}.tmp`, file);
  }

  close(): void {}
}
