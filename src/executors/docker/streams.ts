// dockerode hands back its HTTP streams typed as the loose NodeJS.ReadableStream; the
// executor needs the Readable they are (to destroy them when a run ends).
import { Readable } from "node:stream";

export function asReadable(stream: NodeJS.ReadableStream): Readable {
  if (stream instanceof Readable) return stream;
  throw new TypeError("the Docker engine client returned a stream that is not a Readable");
}
