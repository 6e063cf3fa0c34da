// uPlot and its stylesheet, loaded only by pages that draw charts (a separate chunk), so
// the dashboard's first paint does not wait for them.
import "uplot/dist/uPlot.min.css";

export { default } from "uplot";
