//! Fixture builders shared by the integration tests: parquet files written with the arrow crate,
//! tiny PNGs, JSON files.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields};
use parquet::arrow::ArrowWriter;

pub fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

pub fn s(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

pub fn ints(v: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

pub fn floats(v: &[f64]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

pub fn str_lists(v: &[Option<Vec<&str>>]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for x in v {
        match x {
            Some(items) => {
                for it in items {
                    b.values().append_value(it);
                }
                b.append(true);
            }
            None => b.append(false),
        }
    }
    Arc::new(b.finish())
}

pub fn int_lists(v: &[Vec<i64>]) -> ArrayRef {
    let mut b = ListBuilder::new(Int64Builder::new());
    for items in v {
        for it in items {
            b.values().append_value(*it);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

pub fn binary_lists(v: &[Vec<Vec<u8>>]) -> ArrayRef {
    let mut b = ListBuilder::new(BinaryBuilder::new());
    for items in v {
        for it in items {
            b.values().append_value(it);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn image_fields() -> Fields {
    Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ])
}

fn image_builder() -> StructBuilder {
    StructBuilder::new(
        image_fields(),
        vec![
            Box::new(BinaryBuilder::new()),
            Box::new(StringBuilder::new()),
        ],
    )
}

fn append_image(b: &mut StructBuilder, img: Option<&[u8]>) {
    match img {
        Some(bytes) => {
            b.field_builder::<BinaryBuilder>(0)
                .expect("bytes")
                .append_value(bytes);
            b.field_builder::<StringBuilder>(1)
                .expect("path")
                .append_value("img.png");
            b.append(true);
        }
        None => {
            b.field_builder::<BinaryBuilder>(0)
                .expect("bytes")
                .append_null();
            b.field_builder::<StringBuilder>(1)
                .expect("path")
                .append_null();
            b.append(false);
        }
    }
}

/// The hub's `Image` feature: a `{bytes, path}` struct per row (null for a missing image).
pub fn images(v: &[Option<Vec<u8>>]) -> ArrayRef {
    let mut b = image_builder();
    for x in v {
        append_image(&mut b, x.as_deref());
    }
    Arc::new(b.finish())
}

/// A list of `{bytes, path}` images per row.
pub fn image_lists(v: &[Vec<Vec<u8>>]) -> ArrayRef {
    let mut b = ListBuilder::new(image_builder());
    for items in v {
        for it in items {
            append_image(b.values(), Some(it));
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// A struct of nullable strings per row (PAI's `index2ans`).
pub fn string_structs(keys: &[&str], rows: &[Vec<Option<&str>>]) -> ArrayRef {
    let fields = Fields::from(
        keys.iter()
            .map(|k| Field::new(*k, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let builders: Vec<Box<dyn arrow_array::builder::ArrayBuilder>> = keys
        .iter()
        .map(|_| Box::new(StringBuilder::new()) as Box<dyn arrow_array::builder::ArrayBuilder>)
        .collect();
    let mut b = StructBuilder::new(fields, builders);
    for row in rows {
        for (k, v) in row.iter().enumerate() {
            let fb = b.field_builder::<StringBuilder>(k).expect("string field");
            match v {
                Some(t) => fb.append_value(t),
                None => fb.append_null(),
            }
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// Writes one record batch to a parquet file (snappy-less default settings).
pub fn write_parquet(path: &Path, cols: Vec<(&str, ArrayRef)>) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    let batch = RecordBatch::try_from_iter(cols).expect("batch");
    let file = std::fs::File::create(path).expect("create parquet");
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// A valid 2×2 RGB PNG whose top-left pixel is `seed`.
pub fn png(seed: u8) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 2, 2);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        let mut data = vec![0u8; 12];
        data[0] = seed;
        w.write_image_data(&data).expect("png data");
    }
    out
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, bytes).expect("write file");
}

/// Writes pretty JSON.
pub fn write_json(path: &Path, v: &serde_json::Value) {
    write(path, serde_json::to_vec_pretty(v).expect("json"));
}
