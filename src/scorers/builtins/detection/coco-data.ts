// COCO ground truth (an annotation file) and detections (a results list) checked and packed
// into flat arrays. Every defect is reported with its array position; nothing is scored
// from a file with defects. Fields are read exactly as pycocotools reads them.
import { DefectList, fileError } from "../../errors.ts";

export interface Boxes {
  count: number;
  /** Index into CocoGroundTruth.imageIds (sorted ascending, as COCOeval sorts them). */
  image: Int32Array;
  /** Index into CocoGroundTruth.categoryIds (sorted ascending). */
  category: Int32Array;
  /** x, y, w, h per box. */
  bbox: Float64Array;
  area: Float64Array;
}

export interface CocoGroundTruth extends Boxes {
  imageIds: number[];
  categoryIds: number[];
  categoryNames: string[];
  annotationId: Float64Array;
  crowd: Uint8Array;
}

export interface CocoDetections extends Boxes {
  score: Float64Array;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function readBbox(value: unknown): [number, number, number, number] | string {
  if (!Array.isArray(value) || value.length !== 4 || !value.every(isNumber)) {
    return "bbox must be [x, y, width, height] of finite numbers";
  }
  const [x, y, w, h] = value as [number, number, number, number];
  if (w < 0 || h < 0) return "bbox width and height must not be negative";
  return [x, y, w, h];
}

function boxes(count: number): Boxes {
  return {
    count,
    image: new Int32Array(count),
    category: new Int32Array(count),
    bbox: new Float64Array(count * 4),
    area: new Float64Array(count),
  };
}

/** Ids of a COCO list (`images`, `categories`), checked for type and uniqueness. */
function indexIds(list: unknown[], key: string, defects: DefectList): Map<number, number> {
  const seen = new Map<number, number>();
  list.forEach((item, i) => {
    const path = `${key}[${i}].id`;
    const id = isObject(item) ? item.id : undefined;
    if (!isNumber(id)) {
      defects.add({ code: "INVALID_VALUE", message: `${path} must be a number`, row: i + 1, path });
    } else if (seen.has(id)) {
      defects.add({
        code: "DUPLICATE_ID",
        message: `${key} id ${id} appears again (first at ${key}[${seen.get(id)}])`,
        row: i + 1,
        path,
        id: String(id),
      });
    } else seen.set(id, i);
  });
  return seen;
}

/** Sorted ids and a lookup from id to its position in the sorted list. */
function sortedIndex(ids: Iterable<number>): { sorted: number[]; position: Map<number, number> } {
  const sorted = [...ids].sort((a, b) => a - b);
  return { sorted, position: new Map(sorted.map((id, i) => [id, i])) };
}

export function parseGroundTruth(doc: unknown, file: string, defectCap: number): CocoGroundTruth {
  if (!isObject(doc))
    throw fileError(
      "PARSE_ERROR",
      file,
      "expected a COCO object with images, annotations and categories",
    );
  const defects = new DefectList(file, defectCap);
  for (const key of ["images", "annotations", "categories"]) {
    if (!Array.isArray(doc[key]))
      defects.add({ code: "PARSE_ERROR", message: `"${key}" must be an array`, path: key });
  }
  defects.throwIfAny();
  const images = doc.images as unknown[];
  const annotations = doc.annotations as unknown[];
  const categories = doc.categories as unknown[];
  const imageRows = indexIds(images, "images", defects);
  const categoryRows = indexIds(categories, "categories", defects);
  const imageIndex = sortedIndex(imageRows.keys());
  const categoryIndex = sortedIndex(categoryRows.keys());
  const gt: CocoGroundTruth = {
    ...boxes(annotations.length),
    imageIds: imageIndex.sorted,
    categoryIds: categoryIndex.sorted,
    categoryNames: categoryIndex.sorted.map((id) => {
      const category = categories[categoryRows.get(id) as number] as Json;
      return typeof category.name === "string" ? category.name : String(id);
    }),
    annotationId: new Float64Array(annotations.length),
    crowd: new Uint8Array(annotations.length),
  };
  const annotationRows = new Map<number, number>();
  annotations.forEach((item, i) => {
    const at = `annotations[${i}]`;
    const bad = (
      code: "INVALID_VALUE" | "UNKNOWN_ID" | "DUPLICATE_ID",
      field: string,
      message: string,
      id?: unknown,
    ) =>
      defects.add({
        code,
        message: `${at}.${field}: ${message}`,
        row: i + 1,
        path: `${at}.${field}`,
        ...(id === undefined ? {} : { id: String(id) }),
      });
    if (!isObject(item)) {
      defects.add({
        code: "INVALID_VALUE",
        message: `${at} must be an object`,
        row: i + 1,
        path: at,
      });
      return;
    }
    const { id, image_id: imageId, category_id: categoryId, area, iscrowd } = item;
    if (!isNumber(id)) bad("INVALID_VALUE", "id", "must be a number");
    else if (annotationRows.has(id))
      bad(
        "DUPLICATE_ID",
        "id",
        `${id} appears again (first at annotations[${annotationRows.get(id)}])`,
        id,
      );
    else annotationRows.set(id, i);
    const image = isNumber(imageId) ? imageIndex.position.get(imageId) : undefined;
    if (image === undefined)
      bad("UNKNOWN_ID", "image_id", `${JSON.stringify(imageId)} is not an image id`, imageId);
    const category = isNumber(categoryId) ? categoryIndex.position.get(categoryId) : undefined;
    if (category === undefined)
      bad(
        "UNKNOWN_ID",
        "category_id",
        `${JSON.stringify(categoryId)} is not a category id`,
        categoryId,
      );
    const bbox = readBbox(item.bbox);
    if (typeof bbox === "string") bad("INVALID_VALUE", "bbox", bbox);
    if (area !== undefined && !(isNumber(area) && area >= 0))
      bad("INVALID_VALUE", "area", "must be a non-negative number");
    if (iscrowd !== undefined && iscrowd !== 0 && iscrowd !== 1 && typeof iscrowd !== "boolean") {
      bad("INVALID_VALUE", "iscrowd", "must be 0 or 1");
    }
    if (image === undefined || category === undefined || typeof bbox === "string" || !isNumber(id))
      return;
    gt.image[i] = image;
    gt.category[i] = category;
    gt.bbox.set(bbox, i * 4);
    // pycocotools reads `area` from the file; files without one get the box area.
    gt.area[i] = isNumber(area) ? area : bbox[2] * bbox[3];
    gt.annotationId[i] = id;
    gt.crowd[i] = iscrowd === 1 || iscrowd === true ? 1 : 0;
  });
  defects.throwIfAny();
  if (annotations.length === 0)
    throw fileError("EMPTY_INPUT", file, "the ground truth has no annotations");
  return gt;
}

export function parseDetections(
  doc: unknown,
  file: string,
  gt: CocoGroundTruth,
  defectCap: number,
): CocoDetections {
  if (!Array.isArray(doc)) {
    throw fileError(
      "PARSE_ERROR",
      file,
      "expected a COCO results list: [{image_id, category_id, bbox, score}, …]",
    );
  }
  if (doc.length === 0) throw fileError("EMPTY_INPUT", file, "the results list is empty");
  const defects = new DefectList(file, defectCap);
  const images = new Map(gt.imageIds.map((id, i) => [id, i]));
  const categories = new Map(gt.categoryIds.map((id, i) => [id, i]));
  const dt: CocoDetections = { ...boxes(doc.length), score: new Float64Array(doc.length) };
  doc.forEach((item, i) => {
    const at = `[${i}]`;
    const bad = (
      code: "INVALID_VALUE" | "UNKNOWN_ID",
      field: string,
      message: string,
      id?: unknown,
    ) =>
      defects.add({
        code,
        message: `${at}.${field}: ${message}`,
        row: i + 1,
        path: `${at}.${field}`,
        ...(id === undefined ? {} : { id: String(id) }),
      });
    if (!isObject(item)) {
      defects.add({
        code: "INVALID_VALUE",
        message: `${at} must be an object`,
        row: i + 1,
        path: at,
      });
      return;
    }
    const { image_id: imageId, category_id: categoryId, score } = item;
    const image = isNumber(imageId) ? images.get(imageId) : undefined;
    if (image === undefined)
      bad(
        "UNKNOWN_ID",
        "image_id",
        `${JSON.stringify(imageId)} is not an image of the ground truth`,
        imageId,
      );
    const category = isNumber(categoryId) ? categories.get(categoryId) : undefined;
    if (category === undefined)
      bad(
        "UNKNOWN_ID",
        "category_id",
        `${JSON.stringify(categoryId)} is not a category of the ground truth`,
        categoryId,
      );
    const bbox = readBbox(item.bbox);
    if (typeof bbox === "string") bad("INVALID_VALUE", "bbox", bbox);
    if (!isNumber(score)) bad("INVALID_VALUE", "score", "must be a finite number");
    if (
      image === undefined ||
      category === undefined ||
      typeof bbox === "string" ||
      !isNumber(score)
    )
      return;
    dt.image[i] = image;
    dt.category[i] = category;
    dt.bbox.set(bbox, i * 4);
    // loadRes: a result's area is its box area.
    dt.area[i] = bbox[2] * bbox[3];
    dt.score[i] = score;
  });
  defects.throwIfAny();
  return dt;
}
