/** @file Reading files and listing directories, with failures turned into DataErrors. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dataErrors as E } from './errors.js';

/** The bytes of `file`, or a DataError saying why it cannot be read. */
export function readBytes(file: string): Buffer {
  try { return readFileSync(file); } catch (e) { throw E.unreadable(file, e); }
}

/** The UTF-8 text of `file` (a leading byte-order mark removed), or a DataError. */
export function readText(file: string): string {
  const text = readBytes(file).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whether `path` is a directory; a DataError if it does not exist or cannot be read. */
export function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch (e) { throw E.unreadable(path, e); }
}

/** The sorted entry names of a directory, or a DataError. */
export function listDirectory(path: string): string[] {
  try { return readdirSync(path).sort(); } catch (e) { throw E.unreadable(path, e); }
}

/** The extension of a file name, lower-cased, with its dot: `.json`; '' when there is none. */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i).toLowerCase();
}
