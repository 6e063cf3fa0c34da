#!/usr/bin/env node
// Launcher for `npx autoscorer`: runs the TypeScript CLI through tsx so there is no
// build step between a checkout and a running platform.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
