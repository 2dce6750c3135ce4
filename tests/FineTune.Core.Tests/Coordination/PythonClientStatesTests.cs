using System.Reflection;
using System.Text.RegularExpressions;
using FineTune.Contracts;
using FineTune.Coordinator.Sweeps;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// The Python client (src/clients/python) spells the final states by hand; its multi-process tests need grpcio, so
/// this reads its lists as text and holds them to JobStates.Final and SweepStates.IsFinal: a state added to one and not
/// the other fails here.
/// </summary>
public class PythonClientStatesTests
{
    [Fact]
    public void The_python_clients_final_states_are_the_coordinators() =>
        Assert.Equal(JobStates.Final.Select(s => s.Name()), Listed("FINAL_STATES"));

    [Fact]
    public void The_python_clients_final_sweep_states_are_the_coordinators()
    {
        var states = typeof(SweepStates).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Contains("scoring", states); // every state, final or not
        Assert.Equal(states.Where(SweepStates.IsFinal), Listed("SWEEP_FINAL_STATES"));
    }

    static IEnumerable<string> Listed(string name)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FineTune.Distributed.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var client = File.ReadAllText(Path.Combine(root.FullName, "src", "clients", "python", "finetune_client.py"));
        var list = Regex.Match(client, $@"^{name} = \(([^)]*)\)", RegexOptions.Multiline);
        Assert.True(list.Success, $"finetune_client.py: no {name} = (...) line");
        return [.. Regex.Matches(list.Groups[1].Value, "\"([a-z_]+)\"").Select(m => m.Groups[1].Value)];
    }
}
