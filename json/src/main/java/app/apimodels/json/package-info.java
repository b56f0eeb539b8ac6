/**
 * The one JSON mapper configuration of every module ({@link app.apimodels.json.JsonMappers}).
 */
package app.apimodels.json;
