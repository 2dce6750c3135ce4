using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FineTune.Core.Torch;

/// <summary>What a dynamic symbol is: code, data, thread-local data or something else (a section, a file).</summary>
public enum SymbolKind { Function, Object, ThreadLocal, Other }

/// <summary>
/// One entry of a shared library's dynamic symbol table (.dynsym). <paramref name="Defined"/>: the library exports it
/// (else it imports it). <paramref name="Versioned"/>: it carries a symbol version (GLIBC_2.2.5, GLIBCXX_3.4: the
/// system libraries'; libtorch's own symbols have none). <paramref name="BoundAtLoad"/>: an import the dynamic loader
/// resolves when the library loads (data, a function whose address a vtable holds), so a missing one makes loading
/// fail; the others are called through the PLT and resolved on first call.
/// </summary>
public readonly record struct DynamicSymbol(string Name, SymbolKind Kind, bool Defined, bool Weak, bool Versioned, bool BoundAtLoad);

/// <summary>
/// Reads the dynamic symbol table of a 64-bit little-endian ELF shared library (Linux x86-64 and arm64), reading only
/// the few sections it needs: libtorch_cpu.so is ~460 MB, its symbol table a few MB.
/// </summary>
public static class ElfDynamicSymbols
{
    const uint SectionDynSym = 11, SectionRela = 4, SectionVersym = 0x6fffffff;
    const uint JumpSlotX64 = 7, JumpSlotArm64 = 1026; // PLT entries: resolved on first call

    /// <summary>Every dynamic symbol of the library; <see cref="InvalidDataException"/> if it is not a 64-bit ELF file.</summary>
    public static IReadOnlyList<DynamicSymbol> Read(string path)
    {
        using var file = File.OpenHandle(path);
        if (RandomAccess.GetLength(file) < 64) throw new InvalidDataException($"{path} is not an ELF file");
        var header = ReadAt(file, 0, 64);
        if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
            throw new InvalidDataException($"{path} is not an ELF file");
        if (header[4] != 2 || header[5] != 1) throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        ushort machine = U16(header, 0x12);
        long sectionsAt = (long)U64(header, 0x28);
        int entrySize = U16(header, 0x3A), count = U16(header, 0x3C);
        if (sectionsAt == 0 || entrySize < 64) throw new InvalidDataException($"{path} has no section headers");
        if (count == 0) count = (int)U64(ReadAt(file, sectionsAt, 64), 32); // more than 65,279 sections: the count is in section 0
        var table = ReadAt(file, sectionsAt, checked(count * entrySize));
        var sections = Enumerable.Range(0, count).Select(i => Section.At(table, i * entrySize)).ToArray();

        int dynsym = Array.FindIndex(sections, s => s.Type == SectionDynSym);
        if (dynsym < 0) throw new InvalidDataException($"{path} has no dynamic symbol table");
        var symbols = ReadAt(file, sections[dynsym].Offset, sections[dynsym].Size);
        var names = ReadAt(file, sections[sections[dynsym].Link].Offset, sections[sections[dynsym].Link].Size);
        var versym = sections.FirstOrDefault(s => s.Type == SectionVersym && s.Link == dynsym);
        var versions = versym.Size > 0 ? ReadAt(file, versym.Offset, versym.Size) : [];
        var boundAtLoad = BoundAtLoad(file, sections, dynsym, machine == 62 ? JumpSlotX64 : JumpSlotArm64);

        int n = (int)(sections[dynsym].Size / 24);
        var result = new List<DynamicSymbol>(n);
        for (int i = 1; i < n; i++) // entry 0 is the null symbol
        {
            int at = i * 24;
            int info = symbols[at + 4];
            bool defined = U16(symbols, at + 6) != 0; // st_shndx: SHN_UNDEF is an import
            int version = versions.Length >= 2 * (i + 1) ? U16(versions, 2 * i) & 0x7fff : 1;
            var kind = (info & 0xf) switch { 1 => SymbolKind.Object, 2 or 10 => SymbolKind.Function, 6 => SymbolKind.ThreadLocal, _ => SymbolKind.Other };
            result.Add(new DynamicSymbol(Name(names, (int)U32(symbols, at)), kind, defined, Weak: info >> 4 == 2, Versioned: version >= 2, boundAtLoad.Contains(i)));
        }
        return result;
    }

    /// <summary>The names a set of libraries export (defined, global or weak).</summary>
    public static HashSet<string> Exports(IEnumerable<string> libraries)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var library in libraries)
            foreach (var s in Read(library))
                if (s.Defined && s.Name.Length > 0) names.Add(s.Name);
        return names;
    }

    // Symbols named by a relocation other than a PLT slot: the loader resolves those when the library loads.
    static HashSet<int> BoundAtLoad(SafeFileHandle file, Section[] sections, int dynsym, uint jumpSlot)
    {
        var bound = new HashSet<int>();
        foreach (var s in sections.Where(s => s.Type == SectionRela && s.Link == dynsym))
        {
            var rela = ReadAt(file, s.Offset, s.Size);
            for (int at = 0; at + 24 <= rela.Length; at += 24)
            {
                ulong info = U64(rela, at + 8);
                if ((uint)info != jumpSlot && info >> 32 != 0) bound.Add((int)(info >> 32));
            }
        }
        return bound;
    }

    readonly record struct Section(uint Type, long Offset, long Size, int Link)
    {
        public static Section At(byte[] table, int at) =>
            new(U32(table, at + 4), (long)U64(table, at + 24), (long)U64(table, at + 32), (int)U32(table, at + 40));
    }

    static string Name(byte[] strings, int at)
    {
        if (at <= 0 || at >= strings.Length) return "";
        int end = Array.IndexOf(strings, (byte)0, at);
        return Encoding.UTF8.GetString(strings, at, (end < 0 ? strings.Length : end) - at);
    }

    static byte[] ReadAt(SafeFileHandle file, long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > RandomAccess.GetLength(file)) throw new InvalidDataException("a section lies outside the file");
        var buffer = new byte[length];
        for (int done = 0; done < buffer.Length;)
        {
            int read = RandomAccess.Read(file, buffer.AsSpan(done), offset + done);
            if (read == 0) throw new InvalidDataException("the file ended inside a section");
            done += read;
        }
        return buffer;
    }

    static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
}
