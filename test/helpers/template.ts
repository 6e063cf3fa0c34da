/** The migrated database every integration test file clones. */
export const TEMPLATE_DATABASE = "autoscorer_template";
