import CPNG
import Foundation
import Support

/// The one Swift file that talks to libpng (its simplified API, which needs no setjmp).
enum PNGWriter {
    /// Writes 8-bit RGB pixels (row-major, 3 bytes per pixel, top row first) atomically.
    static func writeRGB(_ pixels: [UInt8], width: Int, height: Int, to url: URL) throws {
        precondition(pixels.count == width * height * 3)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        var size: Int = 0
        let stride = Int32(width * 3)
        let ok1 = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard ok1 != 0, size > 0 else {
            throw UserError("cannot encode PNG \(url.path): \(pngMessage(&image))")
        }
        var data = Data(count: size)
        let ok2 = data.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok2 != 0 else { throw UserError("cannot encode PNG \(url.path): \(pngMessage(&image))") }
        png_image_free(&image)
        try AtomicFile.write(data.prefix(size), to: url)
    }

    /// Reads any PNG as 8-bit RGB (tests check what was written).
    static func readRGB(_ url: URL) throws -> (pixels: [UInt8], width: Int, height: Int) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, url.path) != 0 else {
            throw UserError("cannot read PNG \(url.path): \(pngMessage(&image))")
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * 3), nil) }
        guard ok != 0 else { throw UserError("cannot read PNG \(url.path): \(pngMessage(&image))") }
        return (pixels, width, height)
    }

    private static func pngMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
