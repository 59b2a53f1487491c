using System.Runtime.CompilerServices;

namespace MiSinkhole.Rules;

/// <summary>
/// Reads lines from a <see cref="TextReader"/> into one reusable buffer, so a million-line list
/// is parsed without a string per line: that garbage (about 80 MB for a 1M-name hosts file) is
/// what a refresh would otherwise add on top of the two rule sets it briefly holds.
/// A line is valid until the next call.
/// </summary>
public sealed class LineReader
{
    private readonly TextReader _reader;
    private char[] _buffer = new char[1 << 16];
    private int _start;
    private int _end;
    private bool _eof;

    public LineReader(TextReader reader) => _reader = reader;

    /// <summary>The next line without its line break; false at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadLine(out ReadOnlySpan<char> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf('\n');
            if (newline >= 0)
            {
                line = TrimCarriageReturn(_buffer.AsSpan(_start, newline));
                _start += newline + 1;
                return true;
            }

            if (_eof)
            {
                if (_start < _end)
                {
                    line = TrimCarriageReturn(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    return true;
                }

                line = default;
                return false;
            }

            // Keep the partial line, make room (grow for very long lines) and read more.
            int pending = _end - _start;
            if (pending == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            else
            {
                Array.Copy(_buffer, _start, _buffer, 0, pending);
            }

            _start = 0;
            _end = pending;
            int read = _reader.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
            }

            _end += read;
        }
    }

    // Not span.EndsWith(char): its generic body boxes the char until the JIT optimises it, and a
    // list is read by code that runs once per load, so it may never be optimised (24 B per line).
    private static ReadOnlySpan<char> TrimCarriageReturn(ReadOnlySpan<char> line) =>
        line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
}
