/** @file Paths and sources of the example models, shared by tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every example model: name (without .seq), path relative to the repo, and text. */
export function examples(): { name: string; path: string; text: string }[] {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir).filter((f) => f.endsWith('.seq')).sort().map((f) => ({
    name: f.replace(/\.seq$/, ''), path: `examples/${f}`, text: readFileSync(join(dir, f), 'utf8'),
  }));
}

/** `--set` overrides that make every example small enough for the interpreter and quick training. */
export const smallSizes: Record<string, string[]> = {
  hmm: ['x_dim=3', 'k=3'],
  rnn_handwriting: ['h_dim=8', 'f_dim=8', 'k=2'],
  rnn_polyphonic: ['x_dim=6', 'h_dim=8', 'f_dim=8', 'drop=0.3'],
  rnn_nade_polyphonic: ['x_dim=6', 'h_dim=8', 'f_dim=8', 'nade_dim=3', 'drop=0.3'],
  dmm_gauss: ['x_dim=4', 'z_dim=2', 'trans_dim=8', 'emit_dim=8', 'rnn_dim=8'],
  storn_polyphonic: ['x_dim=6', 'z_dim=2', 'h_dim=8'],
  srnn_polyphonic: ['x_dim=6', 'z_dim=2', 'd_dim=8', 'a_dim=8', 'f_dim=8', 'drop=0.3'],
  srnn_nade_polyphonic: ['x_dim=6', 'z_dim=2', 'd_dim=8', 'a_dim=8', 'f_dim=8', 'nade_dim=3'],
  switching: ['x_dim=3', 'z_dim=2', 'k=2', 'h_dim=8', 'g_dim=8'],
  dmm: ['x_dim=6', 'z_dim=2', 'trans_dim=8', 'emit_dim=8', 'rnn_dim=8'],
  lgssm: ['g_dim=8'],
  rnn_gmm: ['x_dim=4', 'h_dim=8', 'f_dim=8', 'k=2'],
  rnn_normal: ['x_dim=4', 'h_dim=8', 'f_dim=8'],
  srnn: ['x_dim=4', 'z_dim=2', 'd_dim=8', 'a_dim=8', 'f_dim=8'],
  storn: ['x_dim=4', 'z_dim=2', 'h_dim=8'],
  vrnn: ['x_dim=4', 'z_dim=2', 'h_dim=8', 'f_dim=8'],
  vrnn_gmm: ['x_dim=4', 'z_dim=2', 'h_dim=8', 'f_dim=8', 'k=2'],
  vrnn_handwriting: ['z_dim=2', 'h_dim=8', 'f_dim=8', 'k=2'],
  vrnn_polyphonic: ['x_dim=6', 'z_dim=2', 'h_dim=8', 'f_dim=8'],
  zforcing: ['x_dim=4', 'z_dim=2', 'h_dim=8', 'b_dim=4', 'f_dim=8'],
};

