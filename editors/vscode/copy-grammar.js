// Copies the TextMate grammar kept in editors/textmate/ into this extension (a packaged extension may only use its own files).
const { copyFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
mkdirSync(join(__dirname, 'syntaxes'), { recursive: true });
copyFileSync(join(__dirname, '..', 'textmate', 'seq.tmLanguage.json'), join(__dirname, 'syntaxes', 'seq.tmLanguage.json'));
