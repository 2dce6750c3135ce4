using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using Grpc.Core;

namespace FineTune.Cli.Commands;

/// <summary>
/// finetune watch JOB_ID: a job's progress on stderr until it ends; exit code 0 if it succeeded, 2 if it failed on its
/// input, 3 if the coordinator stopped it early, else 1.
/// </summary>
public static class WatchCommand
{
    const int MaxReconnects = 30;
    static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var jobId = new Argument<string>("JOB_ID") { Description = "the job's id (from submit or list)" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("watch", "Follow a job's progress until it ends (exit code 0 if it succeeded, 2 if it failed on its input, 3 if it was stopped early, else 1)") { jobId };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var final = Follow(client, parse.GetValue(jobId)!);
            if (final is null) return Cli.Failed;
            StatusCommand.PrintSummary(final);
            return StatusCommand.ExitCode(final);
        });
        return command;
    }

    /// <summary>
    /// Follows the job's events (progress bar, log lines, state changes on stderr) until it ends, and returns the final
    /// job; null when the user interrupted (Ctrl+C stops watching, not the job). A coordinator that drops the stream
    /// (a restart) is reconnected to for about a minute.
    /// </summary>
    public static Job? Follow(CoordinatorClient client, string jobId)
    {
        using var cancel = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
        var progress = new WatchProgress(Console.Error);
        try
        {
            return FollowAsync(client, jobId, progress, cancel.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (cancel.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            progress.Line($"stopped watching; job {jobId} goes on (follow it again with: finetune watch {jobId}; stop it with: finetune cancel {jobId})");
            return null;
        }
        finally
        {
            progress.Finish();
        }
    }

    static async Task<Job?> FollowAsync(CoordinatorClient client, string jobId, WatchProgress progress, CancellationToken cancel)
    {
        Job? last = null;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await foreach (var e in client.Watch(jobId, cancel))
                {
                    attempt = 0;
                    switch (e.EventCase)
                    {
                        case JobEvent.EventOneofCase.Job:
                            progress.State(e.Job, last);
                            last = e.Job;
                            break;
                        case JobEvent.EventOneofCase.Step:
                            progress.Step(e.Step);
                            break;
                        case JobEvent.EventOneofCase.Log:
                            progress.Log(e.Log);
                            break;
                        case JobEvent.EventOneofCase.Message:
                            progress.Line(e.Message);
                            break;
                        case JobEvent.EventOneofCase.Data:
                            progress.Data(e.Data);
                            break;
                    }
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && last is not null && attempt < MaxReconnects && !cancel.IsCancellationRequested)
            {
                if (attempt == 0) progress.Line($"lost the coordinator at {client.Address}; reconnecting...");
            }
            if (last is not null && CoordinatorClient.IsFinished(last)) return last;
            if (attempt >= MaxReconnects)
            {
                progress.Line($"the coordinator keeps ending the watch of job {jobId} while it is {last?.State ?? "unknown"}; giving up");
                return last;
            }
            await Task.Delay(ReconnectDelay, cancel);
        }
    }

    /// <summary>ConsoleProgress's look for a remote job: a live bar fed by step events, log lines above it.</summary>
    sealed class WatchProgress(TextWriter writer)
    {
        readonly bool live = !Console.IsErrorRedirected;
        readonly Stopwatch clock = new();
        int? firstStep;
        bool barShown;

        public void State(Job job, Job? previous)
        {
            if (previous is not null && previous.State == job.State && previous.Workers.SequenceEqual(job.Workers)) return;
            Line(JobEventText.State(job));
        }

        public void Step(StepEvent s)
        {
            if (!live) return; // redirected: the log lines are the record
            if (firstStep is null)
            {
                firstStep = s.Step;
                clock.Restart();
            }
            int done = s.Step - firstStep.Value, left = Math.Max(0, s.MaxSteps - s.Step);
            var eta = done > 0 ? Eta(TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * left)) : "?";
            const int width = 30;
            int filled = Math.Clamp((int)(width * (double)s.Step / Math.Max(1, s.MaxSteps)), 0, width);
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"\repoch {s.Epoch:0.00} [{new string('#', filled)}{new string('.', width - filled)}] step {s.Step}/{s.MaxSteps} loss {s.Loss:0.0000} {s.SamplesPerSecond:0.0} samples/s ETA {eta}   "));
            barShown = true;
        }

        /// <summary>The data's reading and tokenizing: a line per phase, and a live count between them.</summary>
        public void Data(DataProgress d)
        {
            if (d.Phase != dataPhase) Line($"data: {d.Phase}");
            dataPhase = d.Phase;
            if (!live) return;
            writer.Write($"\r{StatusCommand.DataLine(d)}   ");
            barShown = true;
        }

        string dataPhase = "";

        public void Log(LogEvent e) => Line(JobEventText.Log(e));

        public void Line(string text)
        {
            if (barShown) writer.Write("\r" + new string(' ', 110) + "\r");
            writer.WriteLine(text);
            barShown = false;
        }

        public void Finish()
        {
            if (barShown) writer.WriteLine();
            barShown = false;
        }

        static string Eta(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    }
}
