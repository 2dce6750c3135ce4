using System.Diagnostics;
using FineTune.Cluster.Tests.Cluster;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Deploy;

/// <summary>
/// The deployment, proven with real containers: deploy/test/podman-cluster.sh builds the image (deploy/container, cached
/// under .cache/deploy), runs a coordinator and two workers on a podman network with the command, args and environment
/// of the rendered Kubernetes manifests (deploy/k8s/overlays/single-node), and from the host checks the API key, a
/// 2-worker job, a killed worker and a restarted coordinator. Needs root (podman, and apt-get to install it and its
/// friends); skips saying why elsewhere. About 4 minutes with the image cached, 10 from scratch.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class PodmanClusterTests
{
    static readonly string[] Packages = ["podman", "netavark", "aardvark-dns", "iptables", "runc", "debootstrap", "python3-yaml"];

    [SkippableFact]
    public void Image_runs_the_rendered_manifests_as_containers_and_survives_a_killed_worker_and_a_restarted_coordinator()
    {
        var root = PythonEnvironment.RepositoryRoot;
        Skip.IfNot(Directory.Exists(Path.Combine(root, "deploy", "k8s")), "deploy/k8s (the manifests this test runs as containers) is not in this checkout");
        Skip.If(Environment.UserName != "root", "the podman cluster test needs root (rootful podman, and apt-get to install it)");
        var missing = AptPackages.Install(Packages);
        Skip.If(missing is not null, missing);
        Skip.If(PythonEnvironment.Run("kubectl", "version", "--client").ExitCode != 0, "kubectl (it renders the manifests with kustomize) is not installed");

        var clock = Stopwatch.StartNew();
        var script = Path.Combine(root, "deploy", "test", "podman-cluster.sh");
        var run = PythonEnvironment.Run("bash", null, TimeSpan.FromMinutes(20), [script]);
        Console.WriteLine($"podman-cluster.sh: exit {run.ExitCode} after {clock.Elapsed.TotalSeconds:0} s\n{run.Output}");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{(run.Output.Length > 8000 ? run.Output[^8000..] : run.Output)}");
        Assert.Contains("PASS:", run.Output);
    }
}
