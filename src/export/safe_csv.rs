//! A CSV writer whose cells cannot run as spreadsheet formulas: a cell an admin opens in
//! Excel or LibreOffice that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
//! read as a formula (CSV injection: a hostname or description a DHCP client chose could be
//! `=HYPERLINK(...)`). Such cells get a leading `'`, which spreadsheets show as text.
//! Numbers (`-1`, `+3.5`) and a lone `-` are left as they are: no formula starts that way.
use std::io::Write;

pub struct SafeCsv<W: Write>(csv::Writer<W>);

impl<W: Write> SafeCsv<W> {
    pub fn new(w: W) -> SafeCsv<W> {
        SafeCsv(csv::Writer::from_writer(w))
    }

    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            record
                .into_iter()
                .map(|c| neutralise(c.as_ref()).into_owned()),
        )
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The cell as a spreadsheet will show it as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || cell == "-" || cell.parse::<f64>().is_ok_and(f64::is_finite) {
        std::borrow::Cow::Borrowed(cell)
    } else {
        std::borrow::Cow::Owned(format!("'{cell}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("-1", "-1"),
            ("+3.5", "+3.5"),
            ("-", "-"),
            ("printer-1", "printer-1"),
            ("10.0.0.1", "10.0.0.1"),
            ("", ""),
            ("-inf", "'-inf"),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
        let mut out = Vec::new();
        let mut w = SafeCsv::new(&mut out);
        w.write_record(["host", "=1+1"]).unwrap();
        w.flush().unwrap();
        drop(w);
        assert_eq!(String::from_utf8(out).unwrap(), "host,'=1+1\n");
    }
}
