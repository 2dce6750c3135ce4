using FineTune.Coordinator.Jobs;
using FineTune.Core.Arguments;
using FineTune.Core.Hub;

namespace FineTune.Core.Tests.Coordination;

/// <summary>push_to_hub's options: refused before anything starts, each naming the option; a job never carries a token.</summary>
public class PushSpecTests
{
    static readonly CoordinatorOptions WithToken = new("/srv/finetune") { Hub = new HubSettings(new Uri("http://hub.test"), "hf_secret", false, "/srv/finetune/hub") };

    [Fact]
    public void A_token_in_a_job_is_refused_naming_where_the_token_goes()
    {
        var e = Assert.Throws<InvalidInputException>(() => JobSpec.CheckRequest(new Dictionary<string, string> { ["hub_token"] = "hf_x" }, ""));
        Assert.Equal("hub_token: a job never carries a token: set HF_TOKEN on the coordinator, which pushes with its own", e.Message);
    }

    [Fact]
    public void A_cluster_push_needs_a_repo_name_and_a_coordinator_that_can_push()
    {
        var push = new TrainingArguments { PushToHub = true };
        Assert.Equal("--hub-model-id (hub_model_id): required with --push-to-hub on a cluster (a job has no output folder name to take it from)",
            Assert.Throws<InvalidInputException>(() => JobSpec.CheckCluster(push, WithToken)).Message);
        push = push with { HubModelId = "me/test" };
        JobSpec.CheckCluster(push, WithToken);
        Assert.StartsWith("--push-to-hub (push_to_hub): the coordinator has no Hugging Face token (set HF_TOKEN",
            Assert.Throws<InvalidInputException>(() => JobSpec.CheckCluster(push, WithToken with { Hub = WithToken.Hub! with { Token = null } })).Message);
        Assert.Equal("--push-to-hub (push_to_hub): hub access is off on this coordinator (--hub-access false)",
            Assert.Throws<InvalidInputException>(() => JobSpec.CheckCluster(push, WithToken with { Hub = null })).Message);
    }

    [Theory]
    [InlineData("hub_strategy", "checkpoint", "--hub-strategy (hub_strategy): 'checkpoint' is not supported yet (choose end or every_save)")]
    [InlineData("hub_strategy", "sometimes", "--hub-strategy (hub_strategy): unknown strategy 'sometimes' (choose end or every_save)")]
    [InlineData("hub_model_id", "a/b/c", "--hub-model-id (hub_model_id): 'a/b/c' is not a hub repo id (at most one '/', as in org/name)")]
    [InlineData("hub_revision", "a//b", "--hub-revision (hub_revision): 'a//b' is not a branch name (empty, '.' and '..' parts are not allowed)")]
    public void Bad_push_options_are_refused_naming_them(string key, string value, string message)
    {
        var args = ArgumentTable.Bind(new Dictionary<string, string> { [key] = value, ["push_to_hub"] = "true" });
        Assert.Equal([message], args.Problems());
    }

    [Fact]
    public void The_push_options_bind_with_trainers_defaults()
    {
        var args = ArgumentTable.Bind(new Dictionary<string, string> { ["push_to_hub"] = "true", ["hub_model_id"] = "me/test", ["hub_private_repo"] = "true" });
        Assert.Equal((true, "me/test", "every_save", true, (string?)null), (args.PushToHub, args.HubModelId, args.HubStrategy, args.HubPrivateRepo, args.HubRevision));
        Assert.DoesNotContain(ArgumentTable.Entries, e => e.Key == "hub_token"); // never an option: never in a spec, a record or an assignment
    }
}
