// The run user (not root) must be able to write its writable mounts (the output folder),
// which the worker created and owns. A worker running as root hands each such folder to
// the run user with chown. A worker that is not root cannot chown; unless the run user is
// the worker's own user, it opens the folder to everyone instead (mode 0777): the folder
// is fresh per attempt and holds only this run's output, and an operator keeps other host
// users out with the workspace root's own mode (0700: a bind mount is reached by the
// engine, not through the parent folders). Subfolders the run makes are then owned by the
// run user, so such a worker may be unable to delete them later; run the worker as root,
// or set the run user to the worker's uid:gid, to avoid that.
import { chmod, chown, stat } from "node:fs/promises";
import type { Mount } from "../types.ts";
import { RunFailure } from "./errors.ts";

/** `asRoot`: whether this process may chown (it is the worker's own uid that decides). */
export async function openWritableMounts(
  mounts: readonly Mount[],
  user: { uid: number; gid: number },
  asRoot = process.getuid?.() === 0,
): Promise<void> {
  for (const mount of mounts) {
    if (mount.readOnly) continue;
    try {
      if (asRoot) await chown(mount.source, user.uid, user.gid);
      else if ((await stat(mount.source)).uid !== user.uid) await chmod(mount.source, 0o777);
    } catch (error) {
      throw new RunFailure(
        "CONTAINER_CREATE_FAILED",
        `the writable mount ${mount.source} cannot be given to the run user: ${String(error)}`,
        { cause: error },
      );
    }
  }
}
