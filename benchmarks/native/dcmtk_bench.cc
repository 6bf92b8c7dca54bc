// dcmtk's side of benchmarks/read.py and benchmarks/to_json.py (driver: bench_loop.h).
//
//   dcmtk_bench version          the library's version
//   dcmtk_bench read MODE LIST   DcmFileFormat::loadFile, then a recursive walk over the
//                                meta header and the data set, sequence items and
//                                encapsulated pixel fragments included, reading every value
//                                through the typed getters: binary numbers (US, SS, UL, SL,
//                                FL, FD, SV, UV) through getXxxArray value by value (host
//                                byte order), DS through getFloat64 and IS through getSint32
//                                value by value, other text through getOFString value by
//                                value (split at the backslashes, padding removed), AT
//                                through getTagVal, OB/OW/OF/OD/OL/OV/UN as the loaded array
//                                (pydicom leaves those as bytes). Text stays in the file's
//                                character set (dcmtk converts only when asked).
//                                COUNT = elements visited.
//   dcmtk_bench json MODE LIST   loadFile, then DcmFileFormat::writeJson with the compact
//                                format and no meta header (what to_json gives) into a
//                                string in memory; binary values inline (base64).
//                                COUNT = JSON bytes written.
//
// Every value is read in the parse (maxReadLength = the largest length), as pydicom and
// dicomcore read them by default, rather than left in the file and loaded element by
// element when touched.

#include <cstdint>
#include <sstream>
#include <string>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcjson.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/oflog/oflog.h"

#include "bench_loop.h"

namespace {

// Every value read is folded in here and printed on stderr at exit, so no read can be
// optimised away.
double g_fold = 0;

const Uint32 kLoadEverything = 0xFFFFFFFEu;

// Numbers value by value; an O* value (OF, OD, OL, OV) only as the array, as pydicom
// leaves those values as bytes.
template <typename T>
void fold_numbers(DcmElement *elem, OFCondition (DcmElement::*get)(T *&)) {
    T *values = nullptr;
    if ((elem->*get)(values).good() && values != nullptr) {
        const unsigned long n = elem->getLength() / sizeof(T);
        const DcmEVR vr = elem->ident();
        if (vr == EVR_OF || vr == EVR_OD || vr == EVR_OL || vr == EVR_OV) {
            if (n > 0) g_fold += static_cast<double>(values[0]);
            return;
        }
        for (unsigned long i = 0; i < n; ++i) g_fold += static_cast<double>(values[i]);
    }
}

void fold_bytes(DcmElement *elem) {
    Uint8 *bytes = nullptr;
    if (elem->getUint8Array(bytes).good() && bytes != nullptr) {
        if (elem->getLength() > 0) g_fold += bytes[0];
        return;
    }
    Uint16 *words = nullptr;
    if (elem->getUint16Array(words).good() && words != nullptr && elem->getLength() > 1) {
        g_fold += words[0];
    }
}

void fold_text(DcmElement *elem) {
    OFString text;
    const unsigned long vm = elem->getVM();
    for (unsigned long pos = 0; pos < vm; ++pos) {
        if (elem->getOFString(text, pos, OFTrue).good()) g_fold += text.size();
    }
}

void walk_item(DcmItem *item, std::uint64_t &count);

void walk_pixel_data(DcmPixelData *pixels, std::uint64_t &count) {
    E_TransferSyntax xfer = EXS_Unknown;
    const DcmRepresentationParameter *param = nullptr;
    pixels->getOriginalRepresentationKey(xfer, param);
    DcmPixelSequence *fragments = nullptr;
    if (DcmXfer(xfer).isEncapsulated() &&
        pixels->getEncapsulatedRepresentation(xfer, param, fragments).good() &&
        fragments != nullptr) {
        for (DcmObject *fragment = fragments->nextInContainer(nullptr); fragment != nullptr;
             fragment = fragments->nextInContainer(fragment)) {
            ++count;
            fold_bytes(static_cast<DcmPixelItem *>(fragment));
        }
        return;
    }
    fold_bytes(pixels);
}

void touch_element(DcmElement *elem, std::uint64_t &count) {
    ++count;
    switch (elem->ident()) {
        case EVR_SQ: {
            DcmSequenceOfItems *sequence = static_cast<DcmSequenceOfItems *>(elem);
            for (DcmObject *item = sequence->nextInContainer(nullptr); item != nullptr;
                 item = sequence->nextInContainer(item)) {
                walk_item(static_cast<DcmItem *>(item), count);
            }
            return;
        }
        case EVR_PixelData:
            walk_pixel_data(static_cast<DcmPixelData *>(elem), count);
            return;
        case EVR_US: fold_numbers<Uint16>(elem, &DcmElement::getUint16Array); return;
        case EVR_SS: fold_numbers<Sint16>(elem, &DcmElement::getSint16Array); return;
        case EVR_UL:
        case EVR_OL: fold_numbers<Uint32>(elem, &DcmElement::getUint32Array); return;
        case EVR_SL: fold_numbers<Sint32>(elem, &DcmElement::getSint32Array); return;
        case EVR_FL:
        case EVR_OF: fold_numbers<Float32>(elem, &DcmElement::getFloat32Array); return;
        case EVR_FD:
        case EVR_OD: fold_numbers<Float64>(elem, &DcmElement::getFloat64Array); return;
        case EVR_UV:
        case EVR_OV: fold_numbers<Uint64>(elem, &DcmElement::getUint64Array); return;
        case EVR_SV: fold_numbers<Sint64>(elem, &DcmElement::getSint64Array); return;
        case EVR_AT: {
            DcmTagKey tag;
            const unsigned long vm = elem->getVM();
            for (unsigned long pos = 0; pos < vm; ++pos) {
                if (elem->getTagVal(tag, pos).good()) g_fold += tag.getElement();
            }
            return;
        }
        case EVR_DS: {
            Float64 number = 0;
            const unsigned long vm = elem->getVM();
            for (unsigned long pos = 0; pos < vm; ++pos) {
                if (elem->getFloat64(number, pos).good()) g_fold += number;
            }
            return;
        }
        case EVR_IS: {
            Sint32 number = 0;
            const unsigned long vm = elem->getVM();
            for (unsigned long pos = 0; pos < vm; ++pos) {
                if (elem->getSint32(number, pos).good()) g_fold += number;
            }
            return;
        }
        default:
            if (elem->isaString()) {
                fold_text(elem);
            } else {
                fold_bytes(elem);  // OB, OW, UN, ox, overlay data, unknown
            }
    }
}

// nextInContainer steps from the list's current node; getElement(i) would walk the list
// from its head for every i in dcmtk 3.6.7.
void walk_item(DcmItem *item, std::uint64_t &count) {
    if (item == nullptr) return;
    for (DcmObject *elem = item->nextInContainer(nullptr); elem != nullptr;
         elem = item->nextInContainer(elem)) {
        touch_element(static_cast<DcmElement *>(elem), count);
    }
}

bool load(DcmFileFormat &file, const std::string &path) {
    return file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kLoadEverything).good();
}

bool read_and_walk(const std::string &path, std::uint64_t &count) {
    DcmFileFormat file;
    if (!load(file, path)) return false;
    walk_item(file.getMetaInfo(), count);
    walk_item(file.getDataset(), count);
    return true;
}

bool read_and_write_json(const std::string &path, std::uint64_t &count) {
    DcmFileFormat file;
    if (!load(file, path)) return false;
    std::ostringstream out;
    DcmJsonFormatCompact format(OFFalse);
    if (file.writeJson(out, format).bad()) return false;
    count += out.str().size();
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc == 2 && std::string(argv[1]) == "version") {
        std::cout << OFFIS_DCMTK_VERSION_STRING << '\n';
        return 0;
    }
    if (argc != 4) {
        std::cerr << "usage: dcmtk_bench version | dcmtk_bench read|json check|bench LIST\n";
        return 2;
    }
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    if (!dcmDataDict.isDictionaryLoaded()) {
        std::cerr << "dcmtk: no data dictionary loaded\n";
        return 1;
    }
    const std::string task(argv[1]);
    FileTask run = nullptr;
    if (task == "read") run = read_and_walk;
    if (task == "json") run = read_and_write_json;
    if (run == nullptr) {
        std::cerr << "task must be read or json\n";
        return 2;
    }
    const int status = run_bench_loop(argv[2], argv[3], run);
    std::cerr << "fold " << g_fold << '\n';
    return status;
}
