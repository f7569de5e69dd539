// SPDX-License-Identifier: Apache-2.0
// Drain controller: walks the drain buffer one word per cycle into the requantizer.
`timescale 1ns / 1ps
`default_nettype none

`include "spw_defs.vh"

// On a capture (cap_i) it snapshots the tile's output address, column count
// and biases, then from the next cycle reads one drain-buffer column per cycle
// (act mode) or the 8 nibble planes of each column (acc mode) and hands it to
// the requantizer with the AMem address it goes to:
//   channel c, tile t:  OADDR + c*OSTRIDE + t        (act)
//                       OADDR + c*OSTRIDE + 8t + k   (acc, plane k)
// Padding lanes of the last tile (pixel >= H*W) are flagged so they are
// written as 0.
// Stride 2 (the keep-even drain, docs/architecture.md 6.3): a capture also
// brings the tile's keep mask.  p0, the pixels kept by the group's earlier
// tiles, is a running count (0 at tile 0); the n kept lanes go, in lane
// order, to output pixels p0 .. p0+n-1, that is to lanes o, o+1, ... (mod
// ROWS, o = p0 mod ROWS) of words w = OADDR + c*OSTRIDE + p0 div ROWS and w+1.
// Per word the drain hands the requantizer each lane's destination lane
// (rq_keep_o, rq_dest_o) and the lane write masks of w (rq_lo_o) and w+1
// (rq_hi_o); the tile holding output pixel Ho*Wo-1 also writes the lanes
// after it (the output's padding, written as 0).  With stride 1 every lane
// stays in place and the whole word w is written.
// The drain never stalls, so the sequencer's capture stall
// always ends: cap_ok_o is high when the buffer is free this cycle (idle, or
// reading its last word, whose value is taken before the capture overwrites it).
// Latency: word k of a capture in cycle e is read in cycle e+1+k.
module spw_drain #(
    // MAC array rows = pixel lanes per word
    parameter ROWS = 8,
    // MAC array columns
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096
) (
    // Port widths are written out from the parameters: the localparams that
    // name them are declared in the body, after the ports, and a name may
    // not be used before its declaration.
    input  wire                 clk_i,
    input  wire                 rst_ni,

    /* capture from the sequencer */
    input  wire                 cap_i,
    input  wire [`SPW_TILE_W-1:0] cap_tile_i,
    input  wire [15:0]          cap_oaddr_i,
    input  wire [6:0]           cap_ncols_i,
    input  wire [COLS*15-1:0]   cap_bias_i,
    // lanes of the tile at even y, even x inside the image
    input  wire [ROWS-1:0]      cap_keep_i,

    /* layer constants (stable while a layer drains: LAYER waits for quiet) */
    input  wire [15:0]          ostride_i,
    input  wire                 acc_mode_i,
    input  wire [19:0]          hw_i,
    input  wire [`SPW_TILE_W-1:0] tiles_i,
    input  wire                 stride2_i,
    // output pixels per channel of a stride-2 layer, Ho*Wo
    input  wire [19:0]          howo_i,

    output wire                 cap_ok_o,
    output wire                 quiet_o,

    /* to the MAC array drain buffer and the requantizer */
    output wire [$clog2(COLS)-1:0] rd_col_o,
    output wire                 rq_valid_o,
    output wire [14:0]          rq_bias_o,
    output wire [2:0]           rq_nib_o,
    output wire [ROWS-1:0]      rq_pad_o,
    output wire [$clog2(ADEPTH)-1:0] rq_addr_o,
    // lane r of the word goes to lane rq_dest_o[r] if rq_keep_o[r]
    output wire [ROWS-1:0]      rq_keep_o,
    output wire [ROWS*$clog2(ROWS)-1:0] rq_dest_o,
    // lanes written in word rq_addr_o and in word rq_addr_o + 1
    output wire [ROWS-1:0]      rq_lo_o,
    output wire [ROWS-1:0]      rq_hi_o
);
    localparam LC  = $clog2(COLS);
    localparam LR  = $clog2(ROWS);
    localparam AAW = $clog2(ADEPTH);
    localparam [31:0] ROWS_U = ROWS;
    localparam [LR+1:0] ROWS_W = ROWS_U[LR+1:0];

    reg              active_q;
    reg  [LC+3:0]    k_q;          // word index within this drain
    reg  [LC+3:0]    n_q;          // words in this drain
    reg  [23:0]      addr_q;
    reg  [14:0]      bias_q [0:COLS-1];
    reg  [ROWS-1:0]  pad_q;
    reg  [`SPW_REQ_LAT-1:0] pend_q;   // words still inside the requantizer
    // stride 2, per group: pixels kept by the tiles captured so far; of the
    // tile draining: p0, n, its keep mask and each kept lane's destination
    reg  [19:0]      cnt_q;
    reg  [LR-1:0]    o_q;          // p0 mod ROWS
    reg  [LR:0]      nk_q;
    reg  [ROWS-1:0]  keep_q;
    reg  [LR-1:0]    dest_q [0:ROWS-1];

    wire [LC-1:0] col = acc_mode_i ? k_q[LC+2:3] : k_q[LC-1:0];
    wire          last_read = active_q && k_q == n_q - 1'b1;

    assign cap_ok_o   = !active_q || last_read;
    assign quiet_o    = !active_q && pend_q == {`SPW_REQ_LAT{1'b0}};
    assign rd_col_o   = col;
    assign rq_valid_o = active_q;
    assign rq_bias_o  = bias_q[col];
    assign rq_nib_o   = acc_mode_i ? k_q[2:0] : 3'd0;
    assign rq_pad_o   = pad_q;
    assign rq_addr_o  = addr_q[AAW-1:0];

    // lanes of the last tile holding real pixels: ((H*W - 1) mod ROWS) + 1
    wire [19:0]   hw_m1     = hw_i - 20'd1;
    wire [LR:0]   last_real = {1'b0, hw_m1[LR-1:0]} + 1'b1;
    wire          cap_last  = cap_tile_i == tiles_i - 1'b1;
    reg  [ROWS-1:0] cap_pad;
    integer r;
    // r < ROWS, so r[LR:0] is r itself, as wide and as unsigned as last_real
    always @* begin
        for (r = 0; r < ROWS; r = r + 1)
            cap_pad[r] = cap_last && (r[LR:0] >= last_real);
    end

    // words this capture drains: NCOLS, or 8 nibble planes per column
    wire [9:0] n_full = acc_mode_i ? {cap_ncols_i, 3'b000} : {3'd0, cap_ncols_i};
    // unused_* is exempt from the UNUSED lint: NCOLS <= COLS bounds n_full, and only the
    // low bits of H*W-1 decide the padding lanes.
    wire unused_bits = ^{n_full, hw_m1};

    wire [23:0] tile_off = acc_mode_i ? ({6'd0, cap_tile_i} << 3) : {6'd0, cap_tile_i};

    /* stride 2 at a capture: p0, n and the destination of each kept lane,
       (o + kept lanes below it) mod ROWS.  The counts of kept lanes up to
       each lane are a Kogge-Stone prefix sum (LR levels of adders at most
       LR+1 bits wide), not a chain through the lanes. */
    localparam KW = LR + 1;
    wire [19:0]      cap_p0 = (cap_tile_i == {`SPW_TILE_W{1'b0}}) ? 20'd0 : cnt_q;
    reg  [ROWS*KW-1:0] incl, ks_nxt;
    reg  [KW-1:0]    span;                  // level k: counts have at most k+1 bits
    reg  [LR-1:0]    cap_dest [0:ROWS-1];
    integer i, j;
    always @* begin
        for (j = 0; j < ROWS; j = j + 1)
            incl[j*KW +: KW] = {{LR{1'b0}}, cap_keep_i[j]};
        for (i = 0; i < LR; i = i + 1) begin
            span = ~({KW{1'b1}} << (i + 1));
            for (j = 0; j < ROWS; j = j + 1) begin
                if (j >= (1 << i))
                    ks_nxt[j*KW +: KW] = (incl[j*KW +: KW] & span) + (incl[(j - (1 << i))*KW +: KW] & span);
                else
                    ks_nxt[j*KW +: KW] = incl[j*KW +: KW];
            end
            incl = ks_nxt;
        end
        cap_dest[0] = cap_p0[LR-1:0];
        for (j = 1; j < ROWS; j = j + 1)
            cap_dest[j] = cap_p0[LR-1:0] + incl[(j-1)*KW +: LR];
    end
    wire [LR:0] cap_n = incl[(ROWS-1)*KW +: KW];
    wire [23:0] s2_off = {4'd0, cap_p0} >> LR;

    /* stride 2, per word: the lanes of w (o .. o+n-1) and of w+1 (the part
       past ROWS); the tile holding output pixel Ho*Wo-1 writes to the end
       of its word.  cnt_q is p0 + n of the draining tile until the next
       capture, which comes at the earliest in the cycle of its last read. */
    wire [LR+1:0] o_end = {2'b00, o_q} + {1'b0, nk_q};
    wire          s2_last = nk_q != {(LR+1){1'b0}} && cnt_q == howo_i;
    reg  [ROWS-1:0]      lo, hi, keep_w;
    reg  [ROWS*LR-1:0]   dest_w;
    integer l;
    always @* begin
        for (l = 0; l < ROWS; l = l + 1) begin
            // l < ROWS < 2^(LR+2): l[LR+1:0] is l, unsigned like o_end
            lo[l] = !stride2_i || (l[LR+1:0] >= {2'b00, o_q} && (s2_last || l[LR+1:0] < o_end));
            hi[l] = stride2_i && (s2_last ? o_end > ROWS_W : l[LR+1:0] + ROWS_W < o_end);
            keep_w[l] = !stride2_i || keep_q[l];
            dest_w[l*LR +: LR] = stride2_i ? dest_q[l] : l[LR-1:0];
        end
    end
    assign rq_keep_o = keep_w;
    assign rq_dest_o = dest_w;
    assign rq_lo_o   = lo;
    assign rq_hi_o   = hi;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            active_q <= 1'b0;
            k_q <= {(LC+4){1'b0}};
            n_q <= {(LC+4){1'b0}};
            addr_q <= 24'd0;
            pad_q <= {ROWS{1'b0}};
            pend_q <= {`SPW_REQ_LAT{1'b0}};
            for (r = 0; r < COLS; r = r + 1) bias_q[r] <= 15'd0;
            cnt_q <= 20'd0;
            o_q <= {LR{1'b0}};
            nk_q <= {(LR+1){1'b0}};
            keep_q <= {ROWS{1'b0}};
            for (r = 0; r < ROWS; r = r + 1) dest_q[r] <= {LR{1'b0}};
        end else begin
            pend_q <= {pend_q[`SPW_REQ_LAT-2:0], active_q};
            if (cap_i) begin
                active_q <= 1'b1;
                k_q <= {(LC+4){1'b0}};
                n_q <= n_full[LC+3:0];
                addr_q <= {8'd0, cap_oaddr_i} + (stride2_i ? s2_off : tile_off);
                pad_q <= cap_pad;
                for (r = 0; r < COLS; r = r + 1) bias_q[r] <= cap_bias_i[r*15 +: 15];
                cnt_q <= cap_p0 + {{(19-LR){1'b0}}, cap_n};
                o_q <= cap_p0[LR-1:0];
                nk_q <= cap_n;
                keep_q <= cap_keep_i;
                for (r = 0; r < ROWS; r = r + 1) dest_q[r] <= cap_dest[r];
            end else if (active_q) begin
                k_q <= k_q + 1'b1;
                if (last_read) active_q <= 1'b0;
                // next word: the next column, or (acc) the next nibble plane
                if (acc_mode_i && k_q[2:0] != 3'd7)
                    addr_q <= addr_q + 24'd1;
                else if (acc_mode_i)
                    addr_q <= addr_q + {8'd0, ostride_i} - 24'd7;
                else
                    addr_q <= addr_q + {8'd0, ostride_i};
            end
        end
    end
endmodule

`default_nettype wire
