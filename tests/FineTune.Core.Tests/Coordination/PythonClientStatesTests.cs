using System.Text.RegularExpressions;
using FineTune.Contracts;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// The Python client (src/clients/python) spells the final states by hand; its multi-process test needs grpcio, so
/// this reads its list as text and holds it to JobStates.Final: a state added to one and not the other fails here.
/// </summary>
public class PythonClientStatesTests
{
    [Fact]
    public void The_python_clients_final_states_are_the_coordinators()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FineTune.Distributed.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var client = File.ReadAllText(Path.Combine(root.FullName, "src", "clients", "python", "finetune_client.py"));
        var list = Regex.Match(client, @"^FINAL_STATES = \(([^)]*)\)", RegexOptions.Multiline);
        Assert.True(list.Success, "finetune_client.py: no FINAL_STATES = (...) line");
        var names = Regex.Matches(list.Groups[1].Value, "\"([a-z_]+)\"").Select(m => m.Groups[1].Value);
        Assert.Equal(JobStates.Final.Select(s => s.Name()), names);
    }
}
