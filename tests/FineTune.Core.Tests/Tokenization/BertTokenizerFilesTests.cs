using System.Text;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Tests.Tokenization;

using static FineTune.Core.Tests.Tokenization.TokenizerTexts;

/// <summary>A tokenizer from a model folder (vocab.txt, tokenizer.json, tokenizer_config.json) and back.</summary>
public sealed class BertTokenizerFilesTests
{
    [Fact]
    public void FromFolder_reads_a_crlf_vocab_txt_and_tokenizer_config()
    {
        using var dir = new TempDir();
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Hello", "hello", "world", "!"];
        File.WriteAllText(dir.File("vocab.txt"), string.Join("\r\n", vocab) + "\r\n");
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"do_lower_case": false, "model_max_length": 1000000000000000019884624838656}""");

        var tokenizer = BertTokenizer.FromFolder(dir.Path);
        Assert.Equal(vocab, tokenizer.Vocab);
        Assert.Equal(new TokenizerOptions(DoLowerCase: false, ModelMaxLength: int.MaxValue), tokenizer.Options);
        Assert.Equal(["[CLS]", "Hello", "world", "!", "[SEP]"], tokenizer.Encode("Hello world!").Tokens);
    }

    [Fact]
    public void FromFolder_reads_tokenizer_json_alone_and_config_overrides_it()
    {
        using var dir = new TempDir();
        var vocab = DeriveVocab(EdgeCases);
        var cased = new TokenizerOptions(DoLowerCase: false, StripAccents: true, TokenizeChineseChars: false, CleanText: false);
        ReferenceTokenizer.WriteTokenizerJson(dir.File("tokenizer.json"), vocab, cased);

        var loaded = BertTokenizer.FromFolder(dir.Path);
        Assert.Equal(vocab, loaded.Vocab);
        Assert.Equal(cased, loaded.Options);
        var inMemory = new BertTokenizer(vocab, cased);
        foreach (string text in EdgeCases)
            Assert.Equal(inMemory.Encode(text).InputIds, loaded.Encode(text).InputIds);

        File.WriteAllText(dir.File("tokenizer_config.json"), """{"do_lower_case": true, "strip_accents": null, "model_max_length": 128}""");
        Assert.Equal(cased with { DoLowerCase = true, StripAccents = null, ModelMaxLength = 128 }, BertTokenizer.FromFolder(dir.Path).Options);
    }

    [Fact]
    public void Save_then_FromFolder_round_trips()
    {
        using var dir = new TempDir();
        Assert.Throws<TokenizerException>(() => new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a\nb"]).Save(dir.Path));

        var vocab = DeriveVocab(EdgeCases).Where(t => !t.Contains('\n') && !t.Contains('\r')).ToArray();
        var tokenizer = new BertTokenizer(vocab, new TokenizerOptions(DoLowerCase: false, StripAccents: true, ModelMaxLength: 256));
        tokenizer.Save(dir.Path);

        Assert.DoesNotContain('\r', File.ReadAllText(dir.File("vocab.txt")));
        var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("tokenizer_config.json"))).RootElement;
        Assert.False(config.GetProperty("do_lower_case").GetBoolean());
        Assert.Equal("BertTokenizer", config.GetProperty("tokenizer_class").GetString());
        Assert.Equal("[MASK]", config.GetProperty("mask_token").GetString());
        Assert.True(File.Exists(dir.File("special_tokens_map.json")));

        var loaded = BertTokenizer.FromFolder(dir.Path);
        Assert.Equal(tokenizer.Vocab, loaded.Vocab);
        Assert.Equal(tokenizer.Options with { CleanText = true }, loaded.Options);
        foreach (string text in EdgeCases)
            Assert.Equal(tokenizer.Encode(text).InputIds, loaded.Encode(text).InputIds);
    }

    [Fact]
    public void FromFolder_errors_name_the_folder_or_file()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains(dir.Path, missing.Message);
        Assert.Contains("vocab.txt", missing.Message);
        Assert.Contains("tokenizer.json", missing.Message);

        string nowhere = System.IO.Path.Combine(dir.Path, "nowhere");
        Assert.Contains(nowhere, Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(nowhere)).Message);

        File.WriteAllText(dir.File("vocab.txt"), "");
        var empty = Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains(dir.File("vocab.txt"), empty.Message);
        Assert.Contains("empty", empty.Message);

        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\nhello\n");
        var noSep = Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains(dir.File("vocab.txt"), noSep.Message);
        Assert.Contains("[SEP]", noSep.Message);

        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
        File.WriteAllText(dir.File("tokenizer_config.json"), "{ not json");
        Assert.Contains("tokenizer_config.json", Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path)).Message);

        Assert.Throws<TokenizerException>(() => new BertTokenizer([]));
        Assert.Contains("[UNK]", Assert.Throws<TokenizerException>(() => new BertTokenizer(["[PAD]", "[CLS]", "[SEP]"])).Message);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("bert-tokenizer-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
