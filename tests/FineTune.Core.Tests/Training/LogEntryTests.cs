using System.Text.Json.Nodes;
using FineTune.Core.Reporting;

namespace FineTune.Core.Tests.Training;

public sealed class LogEntryTests
{
    [Fact]
    public void Writes_a_flat_object_step_epoch_then_values_in_order()
    {
        var entry = new LogEntry(10, 0.1, new Dictionary<string, double> { ["loss"] = 0.69, ["learning_rate"] = 4.9e-5, ["grad_norm"] = 1.2 });

        var json = entry.ToJson();

        Assert.Equal(["step", "epoch", "loss", "learning_rate", "grad_norm"], json.Select(kv => kv.Key));
        Assert.Equal("""{"step":10,"epoch":0.1,"loss":0.69,"learning_rate":4.9E-05,"grad_norm":1.2}""", json.ToJsonString());
    }

    [Fact]
    public void Round_trips_through_json_text()
    {
        var entry = new LogEntry(100, 1, new Dictionary<string, double> { ["eval_accuracy"] = 0.9, ["eval_loss"] = 0.3, ["eval_f1_macro"] = 0.8999 });

        var back = LogEntry.FromJson(JsonNode.Parse(entry.ToJson().ToJsonString())!.AsObject());

        Assert.Equal(entry, back);
        Assert.Equal(0.9, back["eval_accuracy"]);
        Assert.Null(back["loss"]);
    }

    [Fact]
    public void Non_finite_values_stay_valid_json_and_round_trip()
    {
        var entry = new LogEntry(7, 0.07, new Dictionary<string, double> { ["loss"] = double.NaN, ["grad_norm"] = double.PositiveInfinity });

        var text = entry.ToJson().ToJsonString();
        var back = LogEntry.FromJson(JsonNode.Parse(text)!.AsObject());

        Assert.Contains("\"loss\":\"NaN\"", text);
        Assert.True(double.IsNaN(back["loss"]!.Value));
        Assert.Equal(double.PositiveInfinity, back["grad_norm"]);
    }

    [Fact]
    public void Reads_hugging_face_entries_and_skips_non_numbers()
    {
        var o = JsonNode.Parse("""{"epoch": 3.0, "step": 300, "total_flos": 1.2e15, "train_loss": 0.41, "note": "x", "flag": null}""")!.AsObject();

        var entry = LogEntry.FromJson(o);

        Assert.Equal((300, 3.0), (entry.Step, entry.Epoch));
        Assert.Equal(["total_flos", "train_loss"], entry.Values.Keys);
    }

    [Fact]
    public void A_missing_step_is_invalid_input()
    {
        Assert.Throws<InvalidInputException>(() => LogEntry.FromJson(new JsonObject { ["epoch"] = 1, ["loss"] = 0.5 }));
        Assert.Throws<InvalidInputException>(() => LogEntry.FromJson(new JsonObject { ["step"] = 1.5 }));
    }

    [Fact]
    public void Step_and_epoch_are_not_values() =>
        Assert.Throws<ArgumentException>(() => new LogEntry(1, 0, new Dictionary<string, double> { ["step"] = 1 }));
}
