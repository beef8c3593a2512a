//! Peak heap while parsing a synthetic 50,000-provider ZAL, against the document's size.
//!
//! A counting global allocator tracks live and peak bytes; the document is generated first
//! and the peak is measured from there, so the figure is what parsing adds on top of the
//! bytes already in memory. Run: `cargo bench --bench zal_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use scopegate::lists::{synth, zal};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let providers = 50_000;
    let xml = synth::zal_xml(providers);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let parsed = zal::parse(xml.as_bytes());
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let retained = LIVE.load(Ordering::Relaxed) - base;
    match parsed {
        Ok(zal) => println!("providers: {}", zal.zorgaanbieders.len()),
        Err(e) => {
            eprintln!("synthetic ZAL rejected: {e}");
            std::process::exit(1);
        }
    }
    let size = xml.len();
    println!("file size: {size} bytes");
    println!("peak heap while parsing: {peak} bytes");
    println!("heap retained by the parsed Zal: {retained} bytes");
    println!("peak / file size: {:.2}", peak as f64 / size as f64);
}
