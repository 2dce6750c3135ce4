using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace FineTune.Cluster.Tests.Deploy;

/// <summary>
/// deploy/validate on the real Kustomize targets (each must pass) and on broken copies of the single-node render made
/// here, each of which must be refused with the line that names the object, the field and the problem.
/// </summary>
public class ManifestValidationTests(ITestOutputHelper output)
{
    static readonly Lazy<string> SingleNode = new(() =>
    {
        var (code, yaml) = ManifestValidator.Run("--render", "overlays/single-node");
        Assert.True(code == 0, $"--render overlays/single-node failed (exit {code}): {yaml}");
        return yaml;
    });

    [SkippableFact]
    public void EveryOverlayPasses()
    {
        Skip.If(ManifestValidator.Unavailable is not null, ManifestValidator.Unavailable);
        var (code, text) = ManifestValidator.Run();
        output.WriteLine(text);
        Assert.True(code == 0, $"the validator refused the committed manifests (exit {code}):\n{text}");
        foreach (var target in new[] { "base", "overlays/gpu", "overlays/single-node", "base+components/dashboard" })
            Assert.Contains($"ok {target} (", text);
    }

    /// <summary>A mutation of the rendered YAML: the pattern must match (so the case cannot pass by changing nothing).</summary>
    public static TheoryData<string, string, string, string> BrokenManifests => new()
    {
        {
            "a secretKeyRef names a Secret that is not in the render",
            @"(secretKeyRef:\s+key: join-token\s+name: )finetune-secrets-\w+", "${1}finetune-secret-typo",
            "containers[coordinator].env[FineTune__JoinToken].valueFrom.secretKeyRef.name: Secret \"finetune-secret-typo\" not found in the render"
        },
        {
            "the ring port in the args differs from the containerPort",
            @"--ring-port=29500", "--ring-port=29501",
            "StatefulSet/finetune-worker: spec.template.spec.containers[worker].args[4]: --ring-port listens on 29501, but no containerPort is 29501"
        },
        {
            "the advertised ring port differs from --ring-port",
            @"(--ring-advertise=\$\(POD_NAME\)\.finetune-worker):29500", "${1}:29600",
            "containers[worker].args[5]: --ring-advertise port 29600 differs from --ring-port 29500"
        },
        {
            "a GPU in requests",
            @"(requests:\n(\s+)cpu: ""1""\n\s+memory: 3Gi)", "${1}\n${2}nvidia.com/gpu: 1",
            "containers[worker].resources.requests.nvidia.com/gpu: nvidia.com/gpu in requests: GPUs go in limits only"
        },
        {
            "an unknown field (a typo of replicas)",
            @"(\n(\s+)podManagementPolicy: Parallel)", "${1}\n${2}replica: 3",
            "StatefulSet/finetune-worker: spec.replica: unknown field \"replica\""
        },
        {
            "an unknown field in a container",
            @"(\n(\s+)image: localhost/finetune:cpu)", "${1}\n${2}imagePullPolicy: Never\n${2}imagePolicy: Always",
            "spec.template.spec.containers[coordinator].imagePolicy: unknown field \"imagePolicy\""
        },
        {
            "a container without an image",
            @"\n\s+image: localhost/finetune:cpu", "",
            "spec.template.spec.containers[coordinator].image: no image"
        },
        {
            "a wrong type (the schema)",
            @"replicas: 1\n", "replicas: one\n",
            "Deployment/finetune-coordinator: spec.replicas: must be integer"
        },
        {
            "a probe on a port the coordinator does not serve",
            @"(readinessProbe:\s+grpc:\s+port: )5100", "${1}5101",
            "containers[coordinator].readinessProbe.grpc.port: probes port 5101, but the process serves --urls on 5100"
        },
    };

    [SkippableTheory]
    [MemberData(nameof(BrokenManifests))]
    public void BrokenManifestIsRefused(string what, string pattern, string replacement, string expected)
    {
        Skip.If(ManifestValidator.Unavailable is not null, ManifestValidator.Unavailable);
        var broken = new Regex(pattern).Replace(SingleNode.Value, replacement, 1);
        Assert.True(broken != SingleNode.Value, $"{what}: the pattern {pattern} no longer matches the single-node render; update the case");
        var (code, text) = ManifestValidator.RunOn(broken);
        output.WriteLine(text);
        Assert.True(code == 1, $"{what}: expected exit 1 (refused), got {code}:\n{text}");
        Assert.Contains(expected, text);
    }
}
