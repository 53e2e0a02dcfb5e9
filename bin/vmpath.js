#!/usr/bin/env node
// The `vmpath` command: the built CLI (npm run build writes it to dist/). This file is committed
// with its execute bit, so the bin works after any build, which recreates dist/ from scratch.
import '../dist/src/cli/main.js';
