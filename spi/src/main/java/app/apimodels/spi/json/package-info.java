/**
 * The one JSON mapper configuration of every module ({@link app.apimodels.spi.json.JsonMappers}).
 */
package app.apimodels.spi.json;
