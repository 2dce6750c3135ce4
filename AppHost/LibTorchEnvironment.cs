namespace FineTune.AppHost;

/// <summary>
/// A build made with -p:TorchBackend=external carries no libtorch: its services load the folder FINETUNE_LIBTORCH
/// names. The AppHost hands its own value to every service it starts, so one setting serves the whole cluster.
/// </summary>
static class LibTorchEnvironment
{
    public static IResourceBuilder<ProjectResource> WithLibTorch(this IResourceBuilder<ProjectResource> project) =>
        ClusterSettings.LibTorch is { } folder ? project.WithEnvironment("FINETUNE_LIBTORCH", folder) : project;
}
