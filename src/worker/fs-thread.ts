// A worker's file-system chores (setting up a workspace: folders, links, meta.json; writing
// output/result.json), done on a thread of their own in one hop. Each asynchronous fs call
// is a thread-pool round trip that costs the event loop more than the call itself (a
// workspace took about ten, a Result four); done synchronously on the event loop, the same
// calls block it, on a journal commit of a local disk or on a network volume (the
// Kubernetes manifests mount a ReadWriteMany claim). Here the calls are synchronous on this
// thread, and the event loop sends one message per chore and gets one answer.
import { Worker } from "node:worker_threads";

/** One file-system call; the steps of a batch run in order and stop at the first error. */
export type FsStep =
  /** Removes a tree if it exists (a leftover of a crashed setup). */
  | { op: "remove"; path: string }
  | { op: "mkdir"; path: string }
  | { op: "symlink"; target: string; path: string }
  /** Links `target` at `path` only if `target` exists. */
  | { op: "symlinkIfPresent"; target: string; path: string }
  | { op: "chmod"; path: string; mode: number }
  /** `exclusive`: fails if anything (a link, say) is already at `path`. */
  | { op: "write"; path: string; text: string; exclusive?: boolean }
  | { op: "rename"; from: string; to: string };

export interface FsThread {
  run(steps: readonly FsStep[]): Promise<void>;
  close(): Promise<void>;
}

// Plain JavaScript, evaluated in the thread: it needs no loader, whatever runs the platform.
const THREAD_SOURCE = `
const fs = require("node:fs");
const { parentPort } = require("node:worker_threads");
const run = (step) => {
  switch (step.op) {
    case "remove": if (fs.existsSync(step.path)) fs.rmSync(step.path, { recursive: true, force: true }); return;
    case "mkdir": fs.mkdirSync(step.path, { recursive: true }); return;
    case "symlink": fs.symlinkSync(step.target, step.path); return;
    case "symlinkIfPresent": if (fs.existsSync(step.target)) fs.symlinkSync(step.target, step.path); return;
    case "chmod": fs.chmodSync(step.path, step.mode); return;
    case "write": fs.writeFileSync(step.path, step.text, { flag: step.exclusive ? "wx" : "w" }); return;
    case "rename": fs.renameSync(step.from, step.to); return;
    default: throw new Error("unknown file-system step " + step.op);
  }
};
parentPort.on("message", ({ id, steps }) => {
  try {
    for (const step of steps) run(step);
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code } });
  }
});
`;

type Answer = { id: number; error?: { message: string; code?: string } };

/** Starts the thread; it does not keep the process alive while nothing is asked of it. */
export function startFsThread(): FsThread {
  const thread = new Worker(THREAD_SOURCE, { eval: true });
  thread.unref();
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let next = 0;
  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  thread.on("message", ({ id, error }: Answer) => {
    const waiter = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) thread.unref();
    if (!waiter) return;
    if (error) waiter.reject(Object.assign(new Error(error.message), { code: error.code }));
    else waiter.resolve();
  });
  thread.on("error", failAll);
  thread.on("exit", () => failAll(new Error("the file-system thread stopped")));
  return {
    run: (steps) =>
      new Promise<void>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        // Held while it has work, so a pending setup is never dropped on the floor.
        thread.ref();
        thread.postMessage({ id, steps });
      }),
    close: async () => {
      await thread.terminate();
    },
  };
}
