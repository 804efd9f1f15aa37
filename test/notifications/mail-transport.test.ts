import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport, FileSinkTransport, PermanentMailError, senderDomain, SmtpTransport } from '../../src/notifications/mail-transport.js';
import { parseMail, startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const FROM = 'Identity hub <no-reply@hub.example>';
const mail = { id: '0193a0b0-0000-7000-8000-000000000001', to: 'freja@nord.dk', subject: 'Behörighet godkänd: VIAS – Specialist', text: 'Hej Freja,\n\nåtkomsten är godkänd.\nReference: 42' };

describe('SMTP transport', () => {
  let smtp: TestSmtpServer;
  const opened: SmtpTransport[] = [];
  const transport = (url: string) => {
    const t = new SmtpTransport(url, FROM, 2_000);
    opened.push(t);
    return t;
  };

  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterEach(() => {
    smtp.received.length = 0;
    for (const t of opened.splice(0)) t.close();
  });
  afterAll(() => smtp.close());

  it('delivers recipient, sender, subject and body, with a Message-ID made of the outbox id', async () => {
    await transport(smtp.url).send(mail);
    expect(smtp.received).toHaveLength(1);
    const [got] = smtp.received;
    expect(got.envelopeTo).toEqual(['freja@nord.dk']);
    expect(got.envelopeFrom).toBe('no-reply@hub.example');
    expect(got.headers.get('to')).toBe('freja@nord.dk');
    expect(got.subject).toBe(mail.subject);
    expect(got.body).toBe(mail.text);
    expect(got.messageId).toBe(`<${mail.id}@hub.example>`);
    expect(got.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('logs in with the credentials of the URL, percent-decoded', async () => {
    const guarded = await startSmtpServer({ login: { username: 'hub@relay', password: 'p@ss:wörd/1' } });
    try {
      await transport(`smtp://${encodeURIComponent('hub@relay')}:${encodeURIComponent('p@ss:wörd/1')}@127.0.0.1:${guarded.port}?tls=off`).send(mail);
      expect(guarded.logins).toEqual([{ username: 'hub@relay', password: 'p@ss:wörd/1' }]);
      expect(guarded.received).toHaveLength(1);
      await expect(transport(`smtp://hub%40relay:wrong@127.0.0.1:${guarded.port}?tls=off`).send(mail)).rejects.toThrow(/invalid login/);
      expect(guarded.received).toHaveLength(1);
    } finally {
      await guarded.close();
    }
  });

  it('smtp:// without ?tls=off insists on STARTTLS: no password goes out in clear text to a server that offers none', async () => {
    const guarded = await startSmtpServer({ login: { username: 'hub', password: 'secret' } });
    try {
      await expect(transport(`smtp://hub:secret@127.0.0.1:${guarded.port}`).send(mail)).rejects.toThrow();
      expect(guarded.logins).toEqual([]);
      expect(guarded.received).toEqual([]);
    } finally {
      await guarded.close();
    }
  });

  it('refuses a URL that is not smtp:// or smtps://', () => {
    expect(() => new SmtpTransport('http://mail.example.org', FROM)).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(() => new SmtpTransport('not a url', FROM)).toThrow(/not a URL/);
  });

  it.each(['freja@nord.dk, mallory@evil.example', 'freja@nord.dk\r\nBcc: mallory@evil.example', 'Freja <freja@nord.dk>', 'not-an-address'])(
    'sends nothing to %j: a stored recipient cannot add recipients or headers',
    async (to) => {
      const before = smtp.recipientAttempts;
      await expect(transport(smtp.url).send({ ...mail, to })).rejects.toBeInstanceOf(PermanentMailError);
      expect(smtp.received).toEqual([]);
      expect(smtp.recipientAttempts).toBe(before);
    },
  );
});

describe('file sink', () => {
  const dir = () => join(mkdtempSync(join(tmpdir(), 'hub-mail-')), 'mail');

  it('writes one .eml per mail, named by its id, in the format SMTP would carry', async () => {
    const where = dir();
    const sink = new FileSinkTransport(where, FROM);
    await sink.send(mail);
    await sink.send({ ...mail, id: 'second-id', to: 'anders@nord.dk', subject: 'Other' });
    expect(readdirSync(where).sort()).toEqual([`${mail.id}.eml`, 'second-id.eml']);
    const parsed = parseMail(readFileSync(join(where, `${mail.id}.eml`), 'utf8'));
    expect(parsed.headers.get('to')).toBe('freja@nord.dk');
    expect(parsed.headers.get('from')).toBe(FROM);
    expect(parsed.subject).toBe(mail.subject);
    expect(parsed.body).toBe(mail.text);
    expect(parsed.messageId).toBe(`<${mail.id}@hub.example>`);
  });

  it('a retry of the same mail replaces its file instead of adding one, and leaves no temp file', async () => {
    const where = dir();
    const sink = new FileSinkTransport(where, FROM);
    await sink.send({ ...mail, text: 'first try' });
    await Promise.all([sink.send({ ...mail, text: 'second try' }), sink.send({ ...mail, text: 'second try' })]);
    expect(readdirSync(where)).toEqual([`${mail.id}.eml`]);
    expect(parseMail(readFileSync(join(where, `${mail.id}.eml`), 'utf8')).body).toBe('second try');
  });

  it('a failed write leaves no temp file behind and reports the failure', async () => {
    const where = dir();
    // A non-empty directory where the file should go: the temp file is written, the rename fails.
    mkdirSync(join(where, `${mail.id}.eml`), { recursive: true });
    writeFileSync(join(where, `${mail.id}.eml`, 'keep'), '');
    await expect(new FileSinkTransport(where, FROM).send(mail)).rejects.toThrow();
    expect(readdirSync(where)).toEqual([`${mail.id}.eml`]);
  });

  it('refuses ids that are not plain file names and recipients that are not one address', async () => {
    const where = dir();
    const sink = new FileSinkTransport(where, FROM);
    await expect(sink.send({ ...mail, id: '../escape' })).rejects.toBeInstanceOf(PermanentMailError);
    await expect(sink.send({ ...mail, to: 'a@example.org, b@example.org' })).rejects.toBeInstanceOf(PermanentMailError);
    expect(() => readdirSync(where)).toThrow(/ENOENT/);
  });

  it('is what createMailTransport gives without SMTP_URL, under <dataDir>/mail', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-data-'));
    const transport = createMailTransport({ smtpUrl: undefined, mailFrom: FROM, dataDir });
    expect(transport).toBeInstanceOf(FileSinkTransport);
    await transport.send(mail);
    expect(readdirSync(join(dataDir, 'mail'))).toEqual([`${mail.id}.eml`]);
    expect(createMailTransport({ smtpUrl: 'smtp://127.0.0.1:2525?tls=off', mailFrom: FROM, dataDir })).toBeInstanceOf(SmtpTransport);
  });
});

describe('senderDomain', () => {
  it.each([
    ['Identity hub <no-reply@identity-hub.local>', 'identity-hub.local'],
    ['no-reply@hub.example', 'hub.example'],
    ['"VISO" <no-reply@sbst.example> ', 'sbst.example'],
    ['nobody', 'identity-hub.local'],
  ])('of %j is %j', (from, domain) => {
    expect(senderDomain(from)).toBe(domain);
  });
});
