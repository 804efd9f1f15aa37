import { createInflate } from 'node:zlib';
import { ExecutableScanner } from './executable-scan.js';
import type { FileSource } from './file-source.js';

/**
 * What a PDF may not contain, and why a CV or a signed form does not need it:
 *
 * - JavaScript (`/JavaScript`, `/JS`): scripts run by the reader. Forms made in Acrobat sometimes
 *   format their fields with it; printing such a form to a new PDF keeps what was filled in and drops
 *   the scripts.
 * - Launch actions (`/Launch`): start a program or open a file on the reader's machine.
 * - Attached files (`/EmbeddedFile`, `/EmbeddedFiles`, `/EF`, `/FileAttachment`, `/GoToE`): a PDF
 *   can carry any file, an executable included; agreements and forms are uploaded one file each.
 * - Rich media (`/RichMedia`: Flash, 3D with scripts) and XFA forms (`/XFA`, which run scripts).
 * - Encryption (`/Encrypt`): its streams cannot be read, so nothing above could be checked.
 *   (A digital signature is not encryption: signed PDFs are taken.)
 * - An executable program anywhere in its bytes.
 *
 * Links (`/URI`), form fields (`/AcroForm`), signatures (`/Sig`), an `/OpenAction` that shows a page,
 * fonts and images are what such documents are made of, and are taken.
 *
 * Names are read wherever they could be parsed, also inside strings, comments and stream data (a
 * cross-reference table may point a reader into any of them), and inside compressed object streams,
 * which are inflated. Short names (`/JS`, `/EF`, `/XFA`) are only looked for outside stream data:
 * compressed bytes contain any three-byte sequence every few megabytes, and an action using them
 * also needs a long name (`/JavaScript` as its type, `/EmbeddedFiles` or `/FileAttachment` to be
 * reached). What this cannot see: names in compressed streams other than object streams, which no
 * reader parses as objects.
 */
const REFUSED_NAMES: Record<string, string> = {
  JavaScript: 'contains JavaScript, which could run when it is opened',
  JS: 'contains JavaScript, which could run when it is opened',
  Launch: 'can start a program on the reader’s computer (a Launch action)',
  EmbeddedFile: 'carries attached files',
  EmbeddedFiles: 'carries attached files',
  EF: 'carries attached files',
  FileAttachment: 'carries attached files',
  GoToE: 'carries attached files',
  RichMedia: 'contains rich media (Flash or 3D) that can run code',
  XFA: 'is an XFA form, which runs scripts',
  Encrypt: 'is encrypted or password-protected, so its content cannot be checked',
};
/** Names of at most this many characters are only looked for outside stream data (see above). */
const SHORT_NAME = 3;

/** Inflated object streams per file: they are a few hundred KiB in real documents. */
const MAX_OBJECT_STREAM_BYTES = 32 * 1024 * 1024;
/** Object streams per file (each is inflated on its own): writers pack about 100 objects in each. */
const MAX_OBJECT_STREAMS = 10_000;
const TRAILER_WINDOW = 1024;
const HEADER = /^%PDF-(?:1\.[0-7]|2\.0)(?![0-9])/;
// `startxref`, its offset, `%%EOF`, then nothing but whitespace: what every writer ends a PDF with.
const TRAILER = /startxref[\0\t\n\f\r ]+(\d{1,10})[\0\t\n\f\r ]+%%EOF[\0\t\n\f\r ]*$/;

const enum State {
  Normal,
  Comment,
  Literal,
  Hex,
  /** After the `stream` keyword, before its end of line. */
  StreamStart,
  Stream,
}

const REGULAR = new Uint8Array(256).fill(1);
for (const c of [0, 9, 10, 12, 13, 32, ...Array.from('()<>[]{}/%', (ch) => ch.charCodeAt(0))]) REGULAR[c] = 0;
const ENDSTREAM = Buffer.from('endstream', 'latin1');
const MAX_NAME = 256;
const MAX_WORD = 16;
const FLATE = new Set(['FlateDecode', 'Fl']);
const FILTERS = new Set([...FLATE, 'ASCIIHexDecode', 'AHx', 'ASCII85Decode', 'A85', 'LZWDecode', 'LZW', 'RunLengthDecode', 'RL', 'Crypt', 'CCITTFaxDecode', 'CCF', 'DCTDecode', 'DCT', 'JBIG2Decode', 'JPXDecode']);

function decodeName(raw: number[]): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    // `#xx` is a byte in hexadecimal: /Java#53cript is /JavaScript.
    const hex = raw[i] === 0x23 && i + 2 < raw.length ? String.fromCharCode(raw[i + 1], raw[i + 2]) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else out += String.fromCharCode(raw[i]);
  }
  return out;
}

interface ObjectStream {
  start: number;
  end: number;
  flate: boolean;
}

/**
 * One pass over a PDF's bytes in order: a tokenizer just precise enough to tell names, strings,
 * comments and stream data apart, and to find object streams. Feed it with `push`, then `end`.
 */
class PdfScanner {
  problem: string | null = null;
  objects = 0;
  readonly objectStreams: ObjectStream[] = [];
  private offset = 0;
  private state = State.Normal;
  private depth = 0;
  private escaped = false;
  private afterLessThan = false;
  private name: number[] | null = null;
  private nameInNormal = false;
  private word = '';
  private objectNames = new Set<string>();
  private streamStart = 0;
  private sawCarriageReturn = false;
  private endMatch = 0;
  private current: ObjectStream | null = null;

  /** `insideObjectStream`: reading an object stream's content, objects only, none of them a stream. */
  constructor(private readonly insideObjectStream = false) {}

  push(chunk: Buffer): void {
    for (let i = 0; i < chunk.length && !this.problem; i++) this.byte(chunk[i], this.offset + i);
    this.offset += chunk.length;
  }

  end(): void {
    if (this.name) this.finishName();
    if (this.state === State.Stream || this.state === State.StreamStart) this.refuse('is damaged: a stream has no end');
  }

  private refuse(reason: string): void {
    this.problem ??= reason;
  }

  private finishName(): void {
    const name = decodeName(this.name!);
    this.name = null;
    const reason = REFUSED_NAMES[name];
    if (reason && (name.length > SHORT_NAME || this.nameInNormal)) this.refuse(reason);
    if (this.nameInNormal && this.objectNames.size < 1000) this.objectNames.add(name);
  }

  /** Acts on a keyword; true when it was `stream`, whose end of line comes next. */
  private finishWord(): boolean {
    const word = this.word;
    this.word = '';
    if (word === 'obj') {
      this.objects++;
      this.objectNames.clear();
    } else if (word === 'endobj') {
      this.objectNames.clear();
    } else if (word === 'stream' && !this.insideObjectStream) {
      this.state = State.StreamStart;
      this.sawCarriageReturn = false;
      this.current = this.objectNames.has('ObjStm') ? this.objectStream() : null;
      return true;
    }
    return false;
  }

  /** How an object stream is to be read, from its dictionary's names; null after refusing it. */
  private objectStream(): ObjectStream | null {
    const filters = [...this.objectNames].filter((n) => FILTERS.has(n));
    const plain = filters.length === 0;
    if (!plain && (!filters.every((f) => FLATE.has(f)) || this.objectNames.has('DecodeParms') || this.objectNames.has('DP'))) {
      this.refuse('packs its objects in an encoding the hub cannot check');
      return null;
    }
    return { start: 0, end: 0, flate: !plain };
  }

  private startStreamData(at: number): void {
    this.state = State.Stream;
    this.streamStart = at;
    this.endMatch = 0;
  }

  private byte(c: number, at: number): void {
    // Names, wherever they are: see REFUSED_NAMES for why stream data and strings are read too.
    if (this.name) {
      if (REGULAR[c]) {
        if (this.name.length < MAX_NAME) this.name.push(c);
        if (this.state === State.Normal) return;
      } else this.finishName();
    }
    if (c === 0x2f) {
      this.name = [];
      this.nameInNormal = this.state === State.Normal;
    }

    switch (this.state) {
      case State.Normal:
        if (this.afterLessThan) {
          // `<<` opens a dictionary, `<>` is an empty hex string, `<` and anything else starts one.
          this.afterLessThan = false;
          if (c !== 0x3c && c !== 0x3e) this.state = State.Hex;
          return;
        }
        if (REGULAR[c]) {
          if (this.word.length < MAX_WORD) this.word += String.fromCharCode(c);
          return;
        }
        if (this.word && this.finishWord()) return this.streamStartByte(c, at);
        if (c === 0x25) this.state = State.Comment;
        else if (c === 0x28) {
          this.state = State.Literal;
          this.depth = 1;
          this.escaped = false;
        } else if (c === 0x3c) this.afterLessThan = true;
        return;
      case State.Comment:
        if (c === 0x0a || c === 0x0d) this.state = State.Normal;
        return;
      case State.Literal:
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x28) this.depth++;
        else if (c === 0x29 && --this.depth === 0) this.state = State.Normal;
        return;
      case State.Hex:
        if (c === 0x3e) this.state = State.Normal;
        return;
      case State.StreamStart:
        return this.streamStartByte(c, at);
      case State.Stream:
        if (c === ENDSTREAM[this.endMatch]) {
          if (++this.endMatch === ENDSTREAM.length) this.finishStream(at + 1 - ENDSTREAM.length);
        } else this.endMatch = c === ENDSTREAM[0] ? 1 : 0;
        return;
    }
  }

  /** The end of line after `stream` (CRLF or LF; a lone CR or spaces are tolerated, as readers do). */
  private streamStartByte(c: number, at: number): void {
    if (c === 0x0a) return this.startStreamData(at + 1);
    if (c === 0x0d) {
      if (this.sawCarriageReturn) return this.startStreamData(at);
      this.sawCarriageReturn = true;
      return;
    }
    if ((c === 0x20 || c === 0x09) && !this.sawCarriageReturn) return;
    this.startStreamData(at);
    this.byte(c, at);
  }

  private finishStream(end: number): void {
    this.state = State.Normal;
    this.word = '';
    this.objectNames.clear();
    if (this.current) this.objectStreams.push({ ...this.current, start: this.streamStart, end });
    if (this.objectStreams.length > MAX_OBJECT_STREAMS) this.refuse(`has more than ${MAX_OBJECT_STREAMS} object streams`);
    this.current = null;
  }
}

/** Inflates (or copies) one object stream and reads it as PDF objects; returns the bytes it produced. */
async function scanObjectStream(source: FileSource, stream: ObjectStream, budget: number, scanner: PdfScanner): Promise<number | string> {
  let produced = 0;
  const feed = (bytes: Buffer): boolean => {
    produced += bytes.length;
    if (produced > budget) return false;
    scanner.push(bytes);
    return scanner.problem === null;
  };
  if (!stream.flate) {
    for await (const chunk of source.chunks(stream.start, stream.end)) if (!feed(chunk)) break;
    return produced;
  }
  const inflate = createInflate();
  const done = new Promise<string | null>((resolve) => {
    inflate.on('data', (bytes: Buffer) => {
      if (!feed(bytes)) {
        inflate.destroy();
        resolve(null);
      }
    });
    inflate.on('end', () => resolve(null));
    inflate.on('error', () => resolve('is damaged: an object stream cannot be decompressed'));
  });
  for await (const chunk of source.chunks(stream.start, stream.end)) {
    if (inflate.destroyed) break;
    if (!inflate.write(chunk)) await new Promise<void>((resolve) => inflate.once('drain', resolve).once('close', resolve));
  }
  if (!inflate.destroyed) inflate.end();
  const error = await done;
  return error ?? produced;
}

/**
 * Checks a file that starts with `%PDF-`: a known version, one `startxref` and `%%EOF` at its very
 * end, at least one object, and none of what `REFUSED_NAMES` lists; returns why it is refused, as the
 * end of a sentence about "This PDF", or null when it may be kept.
 */
export async function checkPdf(source: FileSource): Promise<string | null> {
  const head = await source.read(0, 16);
  if (!HEADER.test(head.toString('latin1'))) return 'is damaged or of an unknown version: it does not start with a %PDF-1.x or %PDF-2.0 header';
  const tail = (await source.read(Math.max(0, source.size - TRAILER_WINDOW), TRAILER_WINDOW)).toString('latin1');
  if (!/%%EOF[\0\t\n\f\r ]*$/.test(tail)) return 'is incomplete or has something attached after its end (%%EOF)';
  const trailer = TRAILER.exec(tail);
  if (!trailer || Number(trailer[1]) >= source.size) return 'is damaged: it has no valid startxref before its %%EOF';

  const scanner = new PdfScanner();
  const executables = new ExecutableScanner();
  for await (const chunk of source.chunks()) {
    scanner.push(chunk);
    executables.push(chunk);
    if (scanner.problem || executables.foundAt !== null) break;
  }
  scanner.end();
  executables.end();
  if (executables.foundAt !== null) return 'contains an executable program';
  if (scanner.problem) return scanner.problem;
  if (scanner.objects === 0) return 'has no objects: it is not a real PDF';

  let budget = MAX_OBJECT_STREAM_BYTES;
  for (const stream of scanner.objectStreams) {
    const inner = new PdfScanner(true);
    const produced = await scanObjectStream(source, stream, budget, inner);
    if (typeof produced === 'string') return produced;
    inner.end();
    if (inner.problem) return inner.problem;
    budget -= produced;
    if (budget < 0) return 'packs more objects than the hub can check';
  }
  return null;
}
