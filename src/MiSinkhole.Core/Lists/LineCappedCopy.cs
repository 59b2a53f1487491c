namespace MiSinkhole.Core.Lists;

/// <summary>
/// Copies a download to its file line by line, dropping every line longer than the cap (counted)
/// before anything parses it: a server sending one endless line costs a buffer of the cap, not
/// memory for the line. The whole body is bounded too (<see cref="ListDownloader.MaxBytes"/>).
/// </summary>
internal sealed class LineCappedCopy
{
    private readonly int _maxLine;
    private readonly byte[] _line;
    private int _length;
    private bool _skipping;

    public LineCappedCopy(int maxLineLength)
    {
        _maxLine = maxLineLength;
        _line = new byte[maxLineLength + 1]; // and its '\n'
    }

    /// <summary>Lines dropped for being longer than the cap.</summary>
    public int Dropped { get; private set; }

    /// <summary>Reads <paramref name="source"/> to its end into <paramref name="destination"/>; a last line without '\n' is kept too.</summary>
    /// <exception cref="InvalidDataException">The body is larger than <see cref="ListDownloader.MaxBytes"/>.</exception>
    public async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > ListDownloader.MaxBytes)
            {
                throw new InvalidDataException($"download larger than {ListDownloader.MaxBytes >> 20} MB");
            }

            int start = 0;
            while (start < read)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                int end = newline < 0 ? read : newline + 1;
                Append(buffer.AsSpan(start, end - start));
                if (newline >= 0)
                {
                    await EndLineAsync(destination, cancellationToken).ConfigureAwait(false);
                }

                start = end;
            }
        }

        await EndLineAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_skipping)
        {
            return;
        }

        int content = part.Length > 0 && part[^1] == '\n' ? part.Length - 1 : part.Length;
        if (_length + content > _maxLine)
        {
            _skipping = true; // too long: nothing of it is written
            return;
        }

        part.CopyTo(_line.AsSpan(_length));
        _length += part.Length;
    }

    private async ValueTask EndLineAsync(Stream destination, CancellationToken cancellationToken)
    {
        if (_skipping)
        {
            Dropped++;
        }
        else if (_length > 0)
        {
            await destination.WriteAsync(_line.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        }

        _length = 0;
        _skipping = false;
    }
}
