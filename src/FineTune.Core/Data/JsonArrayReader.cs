using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace FineTune.Core.Data;

/// <summary>
/// A JSON file holding one array of objects (<c>[{"text": ..., "label": ...}, ...]</c>), read whole.
/// Each row is named by the line its object starts on, so errors point into the file.
/// </summary>
public static class JsonArrayReader
{
    public static IReadOnlyList<(int Line, JsonObject Row)> Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (!Utf8.IsValid(bytes))
            foreach (var _ in Utf8Lines.Read(path)) { } // throws, naming the first bad line
        int skip = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var json = bytes.AsSpan(skip);

        var rows = new List<(int, JsonObject)>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        int line = 1, counted = 0; // newlines counted up to byte `counted`
        try
        {
            if (!reader.Read()) throw new InvalidInputException($"{path}: empty file (expected a JSON array of objects)");
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new InvalidInputException($"{path}:1: expected a JSON array of objects, found {reader.TokenType}");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int at = (int)reader.TokenStartIndex;
                line += json[counted..at].Count((byte)'\n');
                counted = at;
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw new InvalidInputException($"{path}:{line}: expected a JSON object in the array, found {reader.TokenType}");
                rows.Add((line, (JsonObject)JsonNode.Parse(ref reader)!));
            }
            if (reader.Read()) throw new InvalidInputException($"{path}: unexpected content after the JSON array");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}:{(e.LineNumber ?? 0) + 1}: malformed JSON ({e.Message})");
        }
        return rows;
    }
}
