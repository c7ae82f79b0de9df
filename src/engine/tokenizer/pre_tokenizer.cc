#include "engine/tokenizer/pre_tokenizer.h"

#include <cstdint>

#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

using unicode::CharClass;

// One character of the input: where it is and what class it has.
struct Unit {
  size_t offset;
  uint32_t cp;
  uint32_t len;
  CharClass cls;
};

std::vector<Unit> Decode(std::string_view text) {
  std::vector<Unit> units;
  units.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const unicode::Decoded d = unicode::DecodeUtf8(text, pos);
    units.push_back({pos, d.cp, d.len, unicode::Classify(d.cp)});
    pos += d.len;
  }
  return units;
}

bool IsCrLf(uint32_t cp) { return cp == '\r' || cp == '\n'; }

uint32_t AsciiLower(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; }

class Splitter {
 public:
  explicit Splitter(const std::vector<Unit>& units) : units_(units), n_(units.size()) {}

  // Sentinel-safe accessors: past the end behaves as no character at all.
  bool Is(size_t i, CharClass cls) const { return i < n_ && units_[i].cls == cls; }
  uint32_t Cp(size_t i) const { return i < n_ ? units_[i].cp : unicode::kInvalidCodepoint; }

  // 's 't 're 've 'm 'll 'd at `pos`; returns the end or `pos` when there is none.
  size_t Contraction(size_t pos, bool ignore_case) const {
    if (Cp(pos) != '\'') return pos;
    const auto fold = [&](uint32_t cp) { return ignore_case ? AsciiLower(cp) : cp; };
    const uint32_t c1 = fold(Cp(pos + 1));
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return pos + 2;
    const uint32_t c2 = fold(Cp(pos + 2));
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
      return pos + 3;
    }
    return pos;
  }

  size_t RunOf(size_t pos, CharClass cls) const {
    while (Is(pos, cls)) ++pos;
    return pos;
  }

  // \s+(?!\S)|\s+ for a whitespace run starting at `pos`.
  size_t TrailingSpaceRule(size_t pos) const {
    const size_t run_end = RunOf(pos, CharClass::kWhitespace);
    if (run_end == n_) return run_end;
    if (run_end - pos >= 2) return run_end - 1;  // leave one space to prefix the next word
    return run_end;
  }

  size_t NextGpt2(size_t pos) const {
    if (size_t end = Contraction(pos, /*ignore_case=*/false); end != pos) return end;
    const size_t body = Cp(pos) == ' ' ? pos + 1 : pos;
    if (Is(body, CharClass::kLetter)) return RunOf(body, CharClass::kLetter);
    if (Is(body, CharClass::kNumber)) return RunOf(body, CharClass::kNumber);
    if (Is(body, CharClass::kOther)) return RunOf(body, CharClass::kOther);
    if (Is(pos, CharClass::kWhitespace)) return TrailingSpaceRule(pos);
    return pos + 1;
  }

  size_t NextLlama3(size_t pos, size_t max_digits) const {
    if (size_t end = Contraction(pos, /*ignore_case=*/true); end != pos) return end;
    const Unit& u = units_[pos];
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (u.cls == CharClass::kLetter ||
        (!IsCrLf(u.cp) && u.cls != CharClass::kNumber && Is(pos + 1, CharClass::kLetter))) {
      return RunOf(pos + 1, CharClass::kLetter);
    }
    // \p{N}{1,max_digits}
    if (u.cls == CharClass::kNumber) {
      size_t end = pos;
      while (end - pos < max_digits && Is(end, CharClass::kNumber)) ++end;
      return end;
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    const size_t body = (u.cp == ' ' && Is(pos + 1, CharClass::kOther)) ? pos + 1 : pos;
    if (Is(body, CharClass::kOther)) {
      size_t end = RunOf(body, CharClass::kOther);
      while (end < n_ && IsCrLf(units_[end].cp)) ++end;
      return end;
    }
    if (u.cls == CharClass::kWhitespace) {
      // \s*[\r\n]+ : the longest prefix of the whitespace run that ends in \r or \n.
      size_t end = pos;
      size_t after_last_newline = pos;
      while (Is(end, CharClass::kWhitespace)) {
        if (IsCrLf(units_[end].cp)) after_last_newline = end + 1;
        ++end;
      }
      if (after_last_newline != pos) return after_last_newline;
      return TrailingSpaceRule(pos);
    }
    return pos + 1;
  }

 private:
  const std::vector<Unit>& units_;
  size_t n_;
};

}  // namespace

PreTokenizerKind PreTokenizerKindFromName(std::string_view name) {
  if (name == "llama-bpe" || name == "llama3" || name == "llama-v3" || name == "smaug-bpe" ||
      name == "dbrx") {
    return PreTokenizerKind::kLlama3;
  }
  if (name == "qwen2" || name == "deepseek-r1-qwen") return PreTokenizerKind::kQwen2;
  return PreTokenizerKind::kGpt2;
}

void PreTokenize(PreTokenizerKind kind, std::string_view text,
                 std::vector<std::string_view>* words) {
  const std::vector<Unit> units = Decode(text);
  const Splitter splitter(units);
  size_t pos = 0;
  while (pos < units.size()) {
    size_t end = 0;
    switch (kind) {
      case PreTokenizerKind::kGpt2:
        end = splitter.NextGpt2(pos);
        break;
      case PreTokenizerKind::kLlama3:
        end = splitter.NextLlama3(pos, 3);
        break;
      case PreTokenizerKind::kQwen2:
        end = splitter.NextLlama3(pos, 1);
        break;
    }
    const size_t begin_byte = units[pos].offset;
    const size_t end_byte = end < units.size() ? units[end].offset : text.size();
    words->push_back(text.substr(begin_byte, end_byte - begin_byte));
    pos = end;
  }
}

}  // namespace locai::engine
