using System.Security.Cryptography;
using System.Text;
using FineTune.Contracts.V1;

namespace FineTune.Contracts.Transfers;

/// <summary>
/// A local file or folder sent to the coordinator's Upload (chunked, each file's SHA-256 checked there), named as
/// jobs.proto says: a file by its content's SHA-256, a folder by the SHA-256 of its listing ("relative/path SHA256" per
/// file, joined by "\n"). Returns the `coordinator:/uploads/...` path that names it in a job. Used by `finetune submit`
/// and the AppHost's Submit job dialog.
/// </summary>
public static class Uploads
{
    /// <param name="send">one file's Upload call: the file and its name on the coordinator, answering UploadResult.path</param>
    public static async Task<string> UploadAsync(string localPath, Func<FolderFile, Task<string>> send)
    {
        if (File.Exists(localPath)) return await send(new FolderFile(localPath, $"{Sha256(localPath)}/{Path.GetFileName(localPath)}"));
        var files = FolderFiles.List(localPath, recursive: true);
        var listing = string.Join("\n", files.Select(f => $"{f.Name} {Sha256(f.Path)}"));
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing)));
        foreach (var f in files) await send(new FolderFile(f.Path, $"{id}/{f.Name}"));
        return $"coordinator:/uploads/{id}";
    }

    /// <summary>One file through the Jobs API's Upload call (the usual <paramref name="send"/>).</summary>
    public static async Task<string> SendAsync(Jobs.JobsClient jobs, FolderFile file, DateTime deadline, CancellationToken cancel = default)
    {
        using var call = jobs.Upload(deadline: deadline, cancellationToken: cancel);
        await FileTransfers.UploadAsync(call.RequestStream, [file], cancel);
        return (await call.ResponseAsync).Path;
    }

    static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
