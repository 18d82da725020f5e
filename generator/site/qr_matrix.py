"""The module matrix of a QR code, exactly as `segno.make(text, error="m", micro=False)` gives it
(tests/test_qr_matrix.py compares them), about ten times faster.

segno spends most of a code's time choosing the data mask: it applies each of the eight masks
module by module and scores them in pure Python. Here a matrix is one row-major byte string
(a module per byte, a separator after each row) read as a big integer, so masking is one XOR
and the penalty rules N1, N2 and N4 are a few shifts and bit counts over every module at once;
N3 (the finder-like pattern) is found with bytes.find under segno's exact rules. segno still
encodes the data, computes the error correction and places the format information.
"""
from __future__ import annotations

from functools import cache
from itertools import chain, zip_longest
from operator import itemgetter

from segno import consts
from segno import encoder as enc

SEPARATOR = 2  # ends each row: never equal to a module (0 light, 1 dark), never part of the N3 pattern
FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"
BITS = tuple(bytes((b >> i) & 1 for i in range(7, -1, -1)) for b in range(256))
REMAINDER = {**dict.fromkeys(range(2, 7), 7), **dict.fromkeys((*range(14, 21), *range(28, 35)), 3),
             **dict.fromkeys(range(21, 28), 4)}


BINARY = bytes.maketrans(b"\x00\x01", b"01")


@cache
def _divisor(count: int) -> tuple[int, ...]:
    """Per error codeword count: each value times the generator polynomial (segno's tables),
    packed in one integer, so the division takes one step per data codeword."""
    gen, log, exp = consts.GEN_POLY[count], consts.GALIOS_LOG, consts.GALIOS_EXP
    return (0, *(int.from_bytes(bytes(exp[log[c] + g] for g in gen), "big") for c in range(1, 256)))


def _blocks(version: int, error: int, bits: bytearray) -> tuple[list[bytes], list[bytes]]:
    """segno.encoder.make_blocks: the data codewords in blocks and each block's Reed-Solomon
    error codewords (the remainder of the same division, as a shift register)."""
    padded = bytes(bits) + bytes(-len(bits) % 8)
    words = int(padded.translate(BINARY), 2).to_bytes(len(padded) // 8, "big") if padded else b""
    data_blocks, error_blocks, at = [], [], 0
    for info in consts.ECC[version][error]:
        count = info.num_total - info.num_data
        table, top, keep = _divisor(count), 8 * (count - 1), (1 << 8 * count) - 1
        for _ in range(info.num_blocks):
            block = words[at:at + info.num_data]
            at += info.num_data
            rest = 0
            for word in block:
                rest = ((rest << 8) & keep) ^ table[word ^ (rest >> top)]
            data_blocks.append(block)
            error_blocks.append(rest.to_bytes(count, "big"))
    return data_blocks, error_blocks


@cache
def _layout(version: int):
    """Per version: the function patterns (rows joined), the data modules in placement order,
    the gather maps from (patterns + data bits) to rows and to columns, the masks and the
    bit masks of module pairs the penalty rules compare."""
    size = enc.calc_matrix_size(version)
    stride = size + 1
    matrix = enc.make_matrix(size, size)
    enc.add_finder_patterns(matrix, size, size)
    enc.add_alignment_patterns(matrix, size, size)
    data = [bytearray(row) for row in matrix]  # the data region: modules segno's placement fills
    slots = []
    for right in range(size - 1, 0, -2):  # segno.encoder.add_codewords' walk
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in (0, 1):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = size - 1 - vertical if upwards else vertical
                if data[i][j] == 0x2:
                    data[i][j] = 0
                    slots.append(i * stride + j)
    template = b"".join(bytes(row) + bytes((SEPARATOR,)) for row in matrix)
    slot_of = {g: len(template) + k for k, g in enumerate(slots)}
    rows = tuple(slot_of.get(g, g) for g in range(len(template)))
    columns = tuple(size if j == size else rows[j * stride + i] for i in range(size) for j in range(stride))
    region = {g for g in slots}
    masks = []
    for pattern in enc.get_data_mask_functions(False):
        flips = [(i, j) for i in range(size) for j in range(size) if i * stride + j in region and pattern(i, j)]
        masks.append((sum(1 << 8 * (i * stride + j) for i, j in flips),
                      sum(1 << 8 * (j * stride + i) for i, j in flips)))
    cells = [i * stride + j for i in range(size) for j in range(size)]
    same_row = sum(1 << 8 * g for g in cells if g % stride < size - 1)
    same_column = sum(1 << 8 * g for g in cells if g + stride < size * stride)
    modules = sum(1 << 8 * g for g in cells)
    return size, template, len(slots), itemgetter(*rows), itemgetter(*columns), masks, same_row, same_column, modules


def _finder_like(joined: bytes, size: int, stride: int) -> int:
    """segno's N3 score of every row (or column) of `joined`, by its rules: a 1:1:3:1:1 run at
    either end of the line, or with four light modules (as many as there are) before or after."""
    score, at = 0, joined.find(FINDER_LIKE)
    while at != -1:
        start = at - at % stride
        idx, after = at - start, at + 7
        if idx in (0, size - 7) or joined.find(b"\x01", start + max(idx - 4, 0), at) == -1 \
                or joined.find(b"\x01", after, start + min(idx + 11, size)) == -1:
            score += 40
        else:
            after = at + 4
        at = joined.find(FINDER_LIKE, after)
    return score


def _runs(equal: int) -> int:
    """N1: a run of 5 + k modules of one colour scores 3 + k (4 + k equal neighbours in a row)."""
    four = equal & (equal >> 8) & (equal >> 16) & (equal >> 24)
    return four.bit_count() + 2 * (four & ~(four << 8)).bit_count()


def _penalty(rows: int, columns: int, size: int, stride: int, same_row: int, same_column: int,
             modules: int, length: int) -> int:
    """ISO/IEC 18004 7.8.3 as segno scores it (N1 + N2 + N3 + N4)."""
    row_equal = ~(rows ^ (rows >> 8)) & same_row  # bit of module k: k and k + 1 have one colour
    column_equal = ~(columns ^ (columns >> 8)) & same_row
    score = _runs(row_equal) + _runs(column_equal)
    below = ~(rows ^ (rows >> 8 * stride)) & same_column  # N2: 2 x 2 blocks of one colour
    score += 3 * (below & (below >> 8) & row_equal).bit_count()
    score += _finder_like(rows.to_bytes(length, "little"), size, stride)
    score += _finder_like(columns.to_bytes(length, "little"), size, stride)
    percent = float((rows & modules).bit_count()) / (size ** 2)  # N4, segno's arithmetic
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def _final_bits(version: int, error: int, buff) -> bytes:
    """segno.encoder.make_final_message: data and error codewords interleaved, as bits."""
    data_blocks, error_blocks = _blocks(version, error, buff.getbits())
    words = [x for block in (data_blocks, error_blocks) for x in chain.from_iterable(zip_longest(*block))
             if x is not None]
    return b"".join(BITS[x] for x in words) + bytes(REMAINDER.get(version, 0))


def encode(text: str) -> tuple[tuple[bytearray, ...], int]:
    """(matrix rows of 0 light / 1 dark, version) of `text`, level M boosted when it fits, no
    Micro QR: segno.make(text, error="m", micro=False).matrix and .version."""
    error = enc.normalize_errorlevel("m")
    segments = enc.prepare_data(text, None, None)
    version = enc.find_version(segments, error, eci=False, micro=False)
    error = enc.boost_error_level(version, error, segments, False)
    buff = enc.Buffer()
    for segment in segments:
        enc.write_segment(buff, segment, None, enc.version_range(version), False)
    capacity = consts.SYMBOL_CAPACITY[version][error]
    enc.write_terminator(buff, capacity, None, len(buff))
    enc.write_padding_bits(buff, version, len(buff))
    enc.write_pad_codewords(buff, version, capacity, len(buff))
    bits = _final_bits(version, error, buff)
    size, template, slots, to_rows, to_columns, masks, same_row, same_column, modules = _layout(version)
    if len(bits) != slots:  # pragma: no cover - segno raises the same
        raise ValueError(f"QR placement: {len(bits)} bits for {slots} modules")
    source = template + bits
    length, stride = len(template), size + 1
    rows = int.from_bytes(bytes(to_rows(source)), "little")
    columns = int.from_bytes(bytes(to_columns(source)), "little")
    best = best_score = None
    for number, (row_mask, column_mask) in enumerate(masks):
        score = _penalty(rows ^ row_mask, columns ^ column_mask, size, stride, same_row, same_column, modules, length)
        if best_score is None or score < best_score:  # the first of equal scores, as segno
            best, best_score = number, score
    joined = (rows ^ masks[best][0]).to_bytes(length, "little")
    matrix = tuple(bytearray(joined[i * stride:i * stride + size]) for i in range(size))
    enc.add_format_info(matrix, version, error, best)
    enc.add_version_info(matrix, version)
    return matrix, version
