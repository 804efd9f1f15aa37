import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the server accepted it, with the parts the tests look at decoded. */
export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  headers: Map<string, string>;
  messageId: string;
  subject: string;
  body: string;
  raw: string;
}

export type Refusal = 'rcpt' | 'data' | null;

export interface TestSmtpServer {
  port: number;
  /** smtp://127.0.0.1:<port>?tls=off: the server offers no STARTTLS. */
  url: string;
  received: ReceivedMail[];
  /** How many times a client got as far as naming a recipient: each is one delivery attempt. */
  readonly recipientAttempts: number;
  /** Logins the server accepted. */
  logins: { username: string; password: string }[];
  /** Refuse with a temporary error (451) when the recipient is named, or after the whole message was sent. */
  refuse(stage: Refusal): void;
  close(): Promise<void>;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`); the space between two of them is folding, not text. */
const decodeWords = (value: string) =>
  value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?[^?]+\?([bq])\?([^?]*)\?=/gi, (_m, encoding: string, text: string) =>
      encoding.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Enough of RFC 5322 and MIME for a single-part text mail as nodemailer writes it. */
export function parseMail(raw: string): Pick<ReceivedMail, 'headers' | 'messageId' | 'subject' | 'body'> {
  const split = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const encoded = raw.slice(split + 4);
  const transfer = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body =
    transfer === 'base64'
      ? Buffer.from(encoded.replace(/\s+/g, ''), 'base64').toString('utf8')
      : transfer === 'quoted-printable'
        ? decodeQuotedPrintable(encoded)
        : encoded;
  return { headers, messageId: headers.get('message-id') ?? '', subject: decodeWords(headers.get('subject') ?? ''), body: body.replace(/\r\n/g, '\n').replace(/\n$/, '') };
}

const temporary = (message: string) => Object.assign(new Error(message), { responseCode: 451 });

/** A real SMTP server (smtp-server) on 127.0.0.1, collecting what it accepts. */
export async function startSmtpServer(options: { port?: number; login?: { username: string; password: string } } = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const logins: { username: string; password: string }[] = [];
  let refusal: Refusal = null;
  let recipientAttempts = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: !options.login,
    // The tests speak plain SMTP on loopback; a real server would insist on TLS first.
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const ok = options.login && auth.username === options.login.username && auth.password === options.login.password;
      if (!ok) return callback(Object.assign(new Error('invalid login'), { responseCode: 535 }));
      logins.push({ username: auth.username ?? '', password: auth.password ?? '' });
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      recipientAttempts++;
      callback(refusal === 'rcpt' ? temporary('mailbox unavailable') : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusal === 'data') return callback(temporary('try again later'));
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom;
        received.push({ envelopeFrom: from ? from.address : '', envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, ...parseMail(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}?tls=off`,
    received,
    get recipientAttempts() {
      return recipientAttempts;
    },
    logins,
    refuse: (stage) => (refusal = stage),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
