namespace FineTune.AppHost.Tests;

/// <summary>The test classes that share one start of the whole app (it takes minutes: the demo job trains).</summary>
[CollectionDefinition(Name)]
public sealed class AspireAppCollection : ICollectionFixture<AspireAppFixture>
{
    public const string Name = "AspireApp";
}
