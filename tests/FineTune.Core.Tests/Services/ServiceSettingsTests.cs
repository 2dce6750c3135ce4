using FineTune.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace FineTune.Core.Tests.Services;

/// <summary>The one settings reader: where a setting is found, each typed getter's refusal naming the option, and defaults.</summary>
public class ServiceSettingsTests
{
    internal static IConfiguration Config(string[] commandLine, Dictionary<string, string?>? keys = null) =>
        new ConfigurationBuilder().AddInMemoryCollection(keys ?? []).AddCommandLine(commandLine).Build();

    static ServiceSettings Settings(params string[] commandLine) => new(Config(commandLine));

    [Fact]
    public void A_setting_comes_from_the_command_line_then_the_kebab_key_then_the_pascal_key()
    {
        Assert.Equal(5, Settings("--max-workers", "5").Int("max-workers", 64, min: 1));
        Assert.Equal(6, new ServiceSettings(Config([], new() { ["FineTune:max-workers"] = "6" })).Int("max-workers", 64, min: 1));
        Assert.Equal(7, new ServiceSettings(Config([], new() { ["FineTune:MaxWorkers"] = "7" })).Int("max-workers", 64, min: 1));
        Assert.Equal(8, new ServiceSettings(Config(["--max-workers", "8"], new() { ["FineTune:MaxWorkers"] = "7" })).Int("max-workers", 64, min: 1));
        Assert.Equal(64, Settings().Int("max-workers", 64, min: 1));
        Assert.Equal("worker-a", new ServiceSettings(Config([], new() { ["FineTune:WorkerName"] = "worker-a" })).String("name", "WorkerName"));
    }

    [Theory]
    [InlineData("--max-workers abc: must be an integer >= 1", "--max-workers", "abc")]
    [InlineData("--max-workers 0: must be an integer >= 1", "--max-workers", "0")]
    [InlineData("--heartbeat-timeout 0: must be a positive number of seconds", "--heartbeat-timeout", "0")]
    [InlineData("--heartbeat-timeout soon: must be a positive number of seconds", "--heartbeat-timeout", "soon")]
    [InlineData("--ring-port 70000: must be an integer from 1 to 65535", "--ring-port", "70000")]
    [InlineData("--demo maybe: must be true or false", "--demo", "maybe")]
    [InlineData("--device tpu: must be cpu, cuda or cuda:N", "--device", "tpu")]
    public void Each_kind_of_bad_value_is_refused_naming_the_option(string message, string flag, string value)
    {
        var s = Settings(flag, value);
        var e = Assert.Throws<SettingsException>(() =>
        {
            _ = s.Int("max-workers", 64, min: 1);
            _ = s.Seconds("heartbeat-timeout", TimeSpan.FromSeconds(10));
            _ = s.Port("ring-port");
            _ = s.Bool("demo", true);
            _ = s.Choice("device", "cpu", ["cpu", "cuda"], v => v.StartsWith("cuda:"), "cuda:N");
        });
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void A_bad_value_from_the_section_names_the_flag_and_the_key()
    {
        var e = Assert.Throws<SettingsException>(() => new ServiceSettings(Config([], new() { ["FineTune:MaxWorkers"] = "many" })).Int("max-workers", 64, min: 1));
        Assert.Equal("--max-workers (FineTune:MaxWorkers) many: must be an integer >= 1", e.Message);
    }

    [Fact]
    public void Good_values_parse_and_unset_ones_take_their_defaults()
    {
        var s = Settings("--heartbeat-timeout", "0.5", "--ring-port", "29500", "--demo", "False", "--device", "cuda:1");
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.Seconds("heartbeat-timeout", TimeSpan.FromSeconds(10)));
        Assert.Equal(29500, s.Port("ring-port"));
        Assert.False(s.Bool("demo", true));
        Assert.Equal("cuda:1", s.Choice("device", "cpu", ["cpu", "cuda"], v => v.StartsWith("cuda:"), "cuda:N"));
        var none = Settings();
        Assert.Equal(TimeSpan.FromSeconds(10), none.Seconds("heartbeat-timeout", TimeSpan.FromSeconds(10)));
        Assert.Null(none.Port("ring-port"));
        Assert.True(none.Bool("demo", true));
        Assert.Null(none.String("api-key"));
        Assert.Null(Settings("--api-key", " ").String("api-key")); // blank counts as unset
    }

    [Fact]
    public void Without_a_section_only_top_level_keys_count()
    {
        var s = new ServiceSettings(Config(["--Workers", "3"], new() { ["FineTune:Threads"] = "2" }), section: null);
        Assert.Equal(3, s.Int("Workers", 2, min: 1));
        Assert.Equal(1, s.Int("Threads", 1, min: 1));
        Assert.Equal("--Workers 0: must be an integer >= 1", Assert.Throws<SettingsException>(() => new ServiceSettings(Config(["--Workers", "0"]), null).Int("Workers", 2, min: 1)).Message);
    }
}
