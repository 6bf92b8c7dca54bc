// GDCM's side of benchmarks/read.py (driver: bench_loop.h).
//
//   gdcm_bench version          the library's version
//   gdcm_bench read MODE LIST   gdcm::Reader::Read, then a recursive walk over the meta
//                               header and the data set, sequence items and encapsulated
//                               pixel fragments included, decoding every value from its
//                               bytes by VR. COUNT = elements visited.
//
// GDCM keeps values as bytes and has no run-time typed getter for any VR (gdcm::Element is
// a compile-time template, StringFilter turns values into display text), so the decoding
// here is the walk's own and does what pydicom's value conversion does: text split at the
// backslashes into strings with the padding removed, DS and IS parsed into numbers, binary
// numbers (US, SS, UL, SL, FL, FD, SV, UV, AT) copied out value by value, OB/OW/OF/OD/OL/
// OV/UN left as the bytes. A VR the file does not carry (implicit VR, or UN) comes from
// GDCM's public dictionary, as pydicom takes it from its own. Text stays in the file's
// character set.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gdcmByteValue.h"
#include "gdcmDataSet.h"
#include "gdcmDicts.h"
#include "gdcmFile.h"
#include "gdcmGlobal.h"
#include "gdcmReader.h"
#include "gdcmSequenceOfFragments.h"
#include "gdcmSequenceOfItems.h"
#include "gdcmTrace.h"
#include "gdcmVersion.h"

#include "bench_loop.h"

namespace {

// Every value decoded is folded in here and printed on stderr at exit, so no decoding can
// be optimised away.
double g_fold = 0;

template <typename T>
void fold_binary_numbers(const char *bytes, std::size_t length) {
    for (std::size_t offset = 0; offset + sizeof(T) <= length; offset += sizeof(T)) {
        T value;
        std::memcpy(&value, bytes + offset, sizeof(T));
        g_fold += static_cast<double>(value);
    }
}

bool is_padding(char c) { return c == ' ' || c == '\0'; }

// Calls `take` with each backslash-separated value, padding stripped at both ends.
template <typename Take>
void split_text(const char *bytes, std::size_t length, bool multi_valued, Take take) {
    std::size_t start = 0;
    while (start <= length) {
        std::size_t end = start;
        while (end < length && !(multi_valued && bytes[end] == '\\')) ++end;
        std::size_t first = start, last = end;
        while (first < last && is_padding(bytes[first])) ++first;
        while (last > first && is_padding(bytes[last - 1])) --last;
        take(std::string(bytes + first, last - first));
        start = end + 1;
    }
}

gdcm::VR::VRType value_vr(const gdcm::DataElement &element) {
    const gdcm::VR::VRType vr = element.GetVR();
    if (vr != gdcm::VR::INVALID && vr != gdcm::VR::UN) return vr;
    static const gdcm::Dicts &dicts = gdcm::Global::GetInstance().GetDicts();
    const gdcm::Tag &tag = element.GetTag();
    if (tag.IsPrivate()) return gdcm::VR::UN;
    return dicts.GetDictEntry(tag).GetVR();
}

void decode_value(gdcm::VR::VRType vr, const gdcm::ByteValue &value) {
    const char *bytes = value.GetPointer();
    const std::size_t length = value.GetLength();
    if (bytes == nullptr) return;
    switch (vr) {
        case gdcm::VR::US:
        case gdcm::VR::US_SS:
        case gdcm::VR::US_SS_OW:
        case gdcm::VR::AT: fold_binary_numbers<std::uint16_t>(bytes, length); return;
        case gdcm::VR::SS: fold_binary_numbers<std::int16_t>(bytes, length); return;
        case gdcm::VR::UL: fold_binary_numbers<std::uint32_t>(bytes, length); return;
        case gdcm::VR::SL: fold_binary_numbers<std::int32_t>(bytes, length); return;
        case gdcm::VR::FL: fold_binary_numbers<float>(bytes, length); return;
        case gdcm::VR::FD: fold_binary_numbers<double>(bytes, length); return;
        case gdcm::VR::SV: fold_binary_numbers<std::int64_t>(bytes, length); return;
        case gdcm::VR::UV: fold_binary_numbers<std::uint64_t>(bytes, length); return;
        case gdcm::VR::DS:
            split_text(bytes, length, true, [](const std::string &text) {
                if (!text.empty()) g_fold += std::strtod(text.c_str(), nullptr);
            });
            return;
        case gdcm::VR::IS:
            split_text(bytes, length, true, [](const std::string &text) {
                if (!text.empty()) g_fold += static_cast<double>(std::strtol(text.c_str(), nullptr, 10));
            });
            return;
        case gdcm::VR::LT:
        case gdcm::VR::ST:
        case gdcm::VR::UT:
        case gdcm::VR::UR:
            split_text(bytes, length, false, [](const std::string &text) { g_fold += text.size(); });
            return;
        default:
            if (gdcm::VR::IsASCII(vr)) {
                split_text(bytes, length, true, [](const std::string &text) { g_fold += text.size(); });
            } else if (length > 0) {
                g_fold += static_cast<unsigned char>(bytes[0]);  // OB, OW, UN, ...: the bytes
            }
    }
}

void walk_dataset(const gdcm::DataSet &dataset, std::uint64_t &count);

void touch_element(const gdcm::DataElement &element, std::uint64_t &count) {
    ++count;
    if (const gdcm::SequenceOfFragments *fragments = element.GetSequenceOfFragments()) {
        for (auto it = fragments->Begin(); it != fragments->End(); ++it) {
            ++count;
            if (const gdcm::ByteValue *bytes = it->GetByteValue()) decode_value(gdcm::VR::OB, *bytes);
        }
        return;
    }
    const gdcm::VR::VRType vr = value_vr(element);
    const gdcm::ByteValue *bytes = element.GetByteValue();
    // A value that is neither bytes nor fragments is a sequence GDCM parsed while reading.
    if (vr == gdcm::VR::SQ || (bytes == nullptr && !element.IsEmpty())) {
        const gdcm::SmartPointer<gdcm::SequenceOfItems> items = element.GetValueAsSQ();
        if (items) {
            for (auto it = items->Begin(); it != items->End(); ++it) {
                walk_dataset(it->GetNestedDataSet(), count);
            }
        }
        return;
    }
    if (bytes != nullptr) decode_value(vr, *bytes);
}

void walk_dataset(const gdcm::DataSet &dataset, std::uint64_t &count) {
    for (auto it = dataset.Begin(); it != dataset.End(); ++it) touch_element(*it, count);
}

bool read_and_walk(const std::string &path, std::uint64_t &count) {
    gdcm::Reader reader;
    reader.SetFileName(path.c_str());
    if (!reader.Read()) return false;
    const gdcm::File &file = reader.GetFile();
    walk_dataset(file.GetHeader(), count);
    walk_dataset(file.GetDataSet(), count);
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc == 2 && std::string(argv[1]) == "version") {
        std::cout << gdcm::Version::GetVersion() << '\n';
        return 0;
    }
    if (argc != 4 || std::string(argv[1]) != "read") {
        std::cerr << "usage: gdcm_bench version | gdcm_bench read check|bench LIST\n";
        return 2;
    }
    gdcm::Trace::DebugOff();
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
    const int status = run_bench_loop(argv[2], argv[3], read_and_walk);
    std::cerr << "fold " << g_fold << '\n';
    return status;
}
