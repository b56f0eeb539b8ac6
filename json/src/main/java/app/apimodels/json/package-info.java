/**
 * The one JSON mapper configuration of every module ({@link app.apimodels.json.JsonMappers}), and
 * the strict reading of small JSON documents straight from their bytes that streamed events share
 * ({@link app.apimodels.json.ByteTokens}, Jackson's parser behind the same {@link app.apimodels.json.JsonTokens}).
 */
package app.apimodels.json;
