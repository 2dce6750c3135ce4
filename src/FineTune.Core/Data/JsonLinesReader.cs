using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Core.Data;

/// <summary>JSON Lines: one JSON object per line; blank lines skipped; a malformed line is named by its number.</summary>
public static class JsonLinesReader
{
    public static IEnumerable<(int Line, JsonObject Row)> Read(string path)
    {
        foreach (var (number, line) in Utf8Lines.Read(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject row;
            try
            {
                row = JsonNode.Parse(line) as JsonObject ?? throw new InvalidInputException($"{path}:{number}: not a JSON object");
            }
            catch (JsonException e)
            {
                throw new InvalidInputException($"{path}:{number}: malformed JSON ({e.Message})");
            }
            yield return (number, row);
        }
    }
}
