namespace MiSinkhole.Rules.Tests;

[TestClass]
public sealed class LineReaderTests
{
    private static List<string> ReadAll(string text)
    {
        var reader = new LineReader(new StringReader(text));
        var lines = new List<string>();
        while (reader.TryReadLine(out ReadOnlySpan<char> line))
        {
            lines.Add(line.ToString());
        }

        return lines;
    }

    [TestMethod]
    public void SplitsOnLfAndCrLf_KeepsEmptyLines_AndALastLineWithoutBreak()
    {
        CollectionAssert.AreEqual(new[] { "a", "", "b", "c" }, ReadAll("a\r\n\nb\nc"));
        CollectionAssert.AreEqual(new[] { "a" }, ReadAll("a\n"));
        Assert.IsEmpty(ReadAll(""));
    }

    [TestMethod]
    public void LinesAcrossTheBufferBoundary_AndLongerThanTheBuffer_AreWhole()
    {
        string longLine = new('x', 200_000);
        var many = Enumerable.Range(0, 20_000).Select(i => $"name{i}.example").ToList();

        CollectionAssert.AreEqual(new[] { "first", longLine, "last" }, ReadAll($"first\n{longLine}\nlast\n"));
        CollectionAssert.AreEqual(many, ReadAll(string.Join("\n", many)));
    }
}
