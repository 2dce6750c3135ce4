using FineTune.Cluster.Tests.Cluster;

namespace FineTune.Cluster.Tests.Deploy;

/// <summary>
/// The offline manifest validator (deploy/validate/validate.mjs) run as a process: node and kubectl from the machine,
/// its npm packages installed with `npm ci` from the committed lock file when missing. Unavailable (the tests skip and
/// say why) only when node, npm or kubectl is not installed; a failing install is a test failure.
/// </summary>
public static class ManifestValidator
{
    static readonly Lazy<string?> Problem = new(Prepare);

    public static string Folder => Path.Combine(PythonEnvironment.RepositoryRoot, "deploy", "validate");

    /// <summary>Null when the validator can run; else which tool is missing.</summary>
    public static string? Unavailable => Problem.Value;

    /// <summary>node validate.mjs ARGS, in its folder: exit code and stdout + stderr.</summary>
    public static (int ExitCode, string Output) Run(params string[] args) =>
        PythonEnvironment.Run("node", null, TimeSpan.FromMinutes(2), [Path.Combine(Folder, "validate.mjs"), .. args]);

    /// <summary>Validates rendered YAML given as text (through a temporary file).</summary>
    public static (int ExitCode, string Output) RunOn(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"finetune-manifests-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            return Run(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    static string? Prepare()
    {
        foreach (var (tool, check, role) in new[]
        {
            ("node", new[] { "--version" }, "runs the validator"),
            ("npm", ["--version"], "installs its packages"),
            ("kubectl", ["version", "--client"], "renders the overlays with kubectl kustomize"),
        })
        {
            if (PythonEnvironment.Run(tool, check).ExitCode == 127) return $"{tool} is not installed ({tool} {role})";
        }
        string[] packages = ["yaml", "kubernetes-models", "@kubernetes/client-node"];
        if (packages.All(p => File.Exists(Path.Combine(Folder, "node_modules", p, "package.json")))) return null;
        var install = PythonEnvironment.Run("npm", null, TimeSpan.FromMinutes(5), "ci", "--prefix", Folder, "--no-audit", "--no-fund");
        return install.ExitCode == 0 ? null
            : throw new InvalidOperationException($"npm ci in {Folder} failed (exit {install.ExitCode}): {install.Output}");
    }
}
