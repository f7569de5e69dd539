// SPDX-License-Identifier: Apache-2.0
// Drain requantizer: accumulator column + bias -> 4-bit activations or int32 nibble planes.
`timescale 1ns / 1ps
`default_nettype none

// spw_requant: turns one drain-buffer column (ROWS signed accumulators) into
// one AMem word.
//   v = col + bias (bias sign-extended)
//   act mode: lane = clip(floor((v*scale + r) / 2^shift), 0, 15),
//             r = 2^(shift-1) if shift > 0 else 0   (models.reference.requantize)
//   acc mode: lane = bits [4k+3:4k] of the 32-bit two's complement of v, k = nib_i
//   pad_i[r] = 1 forces lane r to 0 in both modes (padding of the last tile).
//   Then the lanes move (the keep-even drain of stride 2, docs/architecture.md
//   6.3): lane r goes to lane dest_i[r] if keep_i[r]; a lane no kept lane goes
//   to is 0.  The drain makes the moves distinct; with stride 1 it sends every
//   lane to itself.  The lane write masks lo_i (word addr_i) and hi_i (word
//   addr_i + 1) travel with the word.  word_o is written to addr_o, and
//   word_hi_o, the same word with the lanes of lo_o cleared, to addr_o + 1:
//   pixels wrap into the next word from lane 0 up, and the tile that ends
//   the output writes 0 into the lanes after its last pixel there, some of
//   which hold pixels of addr_o in word_o.
//   The moves come after the clip as a select per output lane; the one-hot
//   decode of the destinations runs beside the shift and clip, from
//   stage-2 registers, so the data path gains an AND and an OR tree.
// Latency REQ_LAT = 2: inputs sampled in cycle c, outputs in cycle c+2.
//   stage 1 (end of c)  : v = col + bias; rounding constant r from shift
//   stage 2 (end of c+1): p = v*scale + r (act) or p = v (acc)
//   output (cycle c+2)  : arithmetic shift / clip or nibble select, lane
//                         moves, combinational
// Assumptions: ROWS a power of two >= 2; ACC_W >= 9; no stall input (the
// drain never stalls).
module spw_requant #(
    // pixel lanes per word
    parameter integer ROWS = 8,
    // accumulator width in bits (signed), from models.spec Config.acc_w
    parameter integer ACC_W = 20,
    // AMem address width (passed through)
    parameter integer ADDR_W = 12
) (
    input  wire                    clk_i,
    input  wire                    rst_ni,
    /* drain column, cycle c */
    input  wire                    valid_i,
    // lane r (signed) at [r*ACC_W +: ACC_W]
    input  wire [ROWS*ACC_W-1:0]   col_i,
    // signed bias of this output channel
    input  wire [14:0]             bias_i,
    /* layer requantization parameters */
    // unsigned multiplier
    input  wire [15:0]             scale_i,
    // right shift 0..31
    input  wire [4:0]              shift_i,
    // 1 = raw int32 output, one nibble plane per word
    input  wire                    acc_mode_i,
    // acc mode: nibble plane 0..7
    input  wire [2:0]              nib_i,
    // 1 = padding lane, output 0
    input  wire [ROWS-1:0]         pad_i,
    input  wire [ADDR_W-1:0]       addr_i,
    // lane r goes to lane dest_i[r*LR +: LR] if keep_i[r]
    input  wire [ROWS-1:0]         keep_i,
    input  wire [ROWS*$clog2(ROWS)-1:0] dest_i,
    // lanes to write in words addr_i and addr_i + 1
    input  wire [ROWS-1:0]         lo_i,
    input  wire [ROWS-1:0]         hi_i,
    /* AMem write, cycle c+2 */
    output wire                    valid_o,
    output wire [ADDR_W-1:0]       addr_o,
    output reg  [ROWS*4-1:0]       word_o,
    output reg  [ROWS*4-1:0]       word_hi_o,
    output wire [ROWS-1:0]         lo_o,
    output wire [ROWS-1:0]         hi_o
);

    // v = acc + bias needs one bit more than the wider operand
    localparam integer SUM_W = ((ACC_W > 15) ? ACC_W : 15) + 1;
    // v * scale (17 bit signed) + r (< 2^30) needs SUM_W + 17 bits; keep at
    // least 33 so the acc-mode nibble planes 0..7 come from sign-extended bits
    localparam integer P_W = (SUM_W + 18 > 33) ? SUM_W + 18 : 33;
    localparam integer LR = $clog2(ROWS);

    initial begin
        if (ROWS < 2 || (ROWS & (ROWS - 1)) != 0 || ACC_W < 9 || ADDR_W < 1) begin
            $error("%m: need ROWS a power of two >= 2 (%0d), ACC_W >= 9 (%0d), ADDR_W >= 1 (%0d)",
                   ROWS, ACC_W, ADDR_W);
            $finish;
        end
    end

    /* stage 1 */
    reg              valid1_q, acc1_q;
    reg [15:0]       scale1_q;
    reg [4:0]        shift1_q;
    reg [P_W-1:0]    rnd1_q;          // round_f(shift), ready before the multiply
    reg [2:0]        nib1_q;
    reg [ROWS-1:0]   pad1_q;
    reg [ADDR_W-1:0] addr1_q;
    reg [SUM_W-1:0]  v1_q [0:ROWS-1];
    reg [ROWS-1:0]   keep1_q, lo1_q, hi1_q;
    reg [ROWS*LR-1:0] dest1_q;
    /* stage 2 */
    reg              valid2_q, acc2_q;
    reg [4:0]        shift2_q;
    reg [2:0]        nib2_q;
    reg [ROWS-1:0]   pad2_q;
    reg [ADDR_W-1:0] addr2_q;
    reg [P_W-1:0]    p2_q [0:ROWS-1];
    reg [ROWS-1:0]   keep2_q, lo2_q, hi2_q;
    reg [ROWS*LR-1:0] dest2_q;

    // Rounding constant 2^(shift-1), 0 for shift 0.
    function [P_W-1:0] round_f;
        input [4:0] sh;
        begin
            round_f = (sh == 5'd0) ? {P_W{1'b0}} : ({{(P_W-1){1'b0}}, 1'b1} << (sh - 5'd1));
        end
    endfunction

    function [SUM_W-1:0] add_bias_f;
        input [ACC_W-1:0] acc;
        input [14:0]      bias;
        begin
            add_bias_f = {{(SUM_W-ACC_W){acc[ACC_W-1]}}, acc} + {{(SUM_W-15){bias[14]}}, bias};
        end
    endfunction

    // v*scale + rnd as one expression, so synthesis builds one multiply-add
    // (a single carry-propagate adder at the end); rnd comes from a register.
    function [P_W-1:0] scale_f;
        input [SUM_W-1:0] v;
        input [15:0]      scale;
        input [P_W-1:0]   rnd;
        begin
            // v is widened by its sign and scale by zeros to P_W by hand, so
            // no operator mixes widths or signedness
            scale_f = $unsigned($signed(sext_f(v)) * $signed({{(P_W-16){1'b0}}, scale}) + $signed(rnd));
        end
    endfunction

    function [P_W-1:0] sext_f;
        input [SUM_W-1:0] v;
        begin
            sext_f = {{(P_W-SUM_W){v[SUM_W-1]}}, v};
        end
    endfunction

    // Nibble plane k of a 32-bit two's-complement value.
    function [3:0] nibble_f;
        input [31:0] v;
        input [2:0]  k;
        begin
            case (k)
                3'd0:    nibble_f = v[3:0];
                3'd1:    nibble_f = v[7:4];
                3'd2:    nibble_f = v[11:8];
                3'd3:    nibble_f = v[15:12];
                3'd4:    nibble_f = v[19:16];
                3'd5:    nibble_f = v[23:20];
                3'd6:    nibble_f = v[27:24];
                default: nibble_f = v[31:28];
            endcase
        end
    endfunction

    integer r;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            valid1_q <= 1'b0;
            acc1_q   <= 1'b0;
            scale1_q <= 16'd0;
            shift1_q <= 5'd0;
            rnd1_q   <= {P_W{1'b0}};
            nib1_q   <= 3'd0;
            pad1_q   <= {ROWS{1'b0}};
            addr1_q  <= {ADDR_W{1'b0}};
            valid2_q <= 1'b0;
            acc2_q   <= 1'b0;
            shift2_q <= 5'd0;
            nib2_q   <= 3'd0;
            pad2_q   <= {ROWS{1'b0}};
            addr2_q  <= {ADDR_W{1'b0}};
            keep1_q  <= {ROWS{1'b0}};
            lo1_q    <= {ROWS{1'b0}};
            hi1_q    <= {ROWS{1'b0}};
            dest1_q  <= {ROWS*LR{1'b0}};
            keep2_q  <= {ROWS{1'b0}};
            lo2_q    <= {ROWS{1'b0}};
            hi2_q    <= {ROWS{1'b0}};
            dest2_q  <= {ROWS*LR{1'b0}};
            for (r = 0; r < ROWS; r = r + 1) begin
                v1_q[r] <= {SUM_W{1'b0}};
                p2_q[r] <= {P_W{1'b0}};
            end
        end else begin
            valid1_q <= valid_i;
            acc1_q   <= acc_mode_i;
            scale1_q <= scale_i;
            shift1_q <= shift_i;
            rnd1_q   <= round_f(shift_i);
            nib1_q   <= nib_i;
            pad1_q   <= pad_i;
            addr1_q  <= addr_i;
            valid2_q <= valid1_q;
            acc2_q   <= acc1_q;
            shift2_q <= shift1_q;
            nib2_q   <= nib1_q;
            pad2_q   <= pad1_q;
            addr2_q  <= addr1_q;
            keep1_q  <= keep_i;
            lo1_q    <= lo_i;
            hi1_q    <= hi_i;
            dest1_q  <= dest_i;
            keep2_q  <= keep1_q;
            lo2_q    <= lo1_q;
            hi2_q    <= hi1_q;
            dest2_q  <= dest1_q;
            for (r = 0; r < ROWS; r = r + 1) begin
                v1_q[r] <= add_bias_f(col_i[r * ACC_W +: ACC_W], bias_i);
                p2_q[r] <= acc1_q ? sext_f(v1_q[r]) : scale_f(v1_q[r], scale1_q, rnd1_q);
            end
        end
    end

    /* output: floor-shift and clip, or nibble select, then the lane moves */
    reg [P_W-1:0]    y;
    reg [ROWS*4-1:0] lanes;
    reg [ROWS-1:0]   sel [0:ROWS-1];    // sel[j][i]: lane i goes to lane j
    integer          l, i, j;

    always @* begin
        for (j = 0; j < ROWS; j = j + 1)
            for (i = 0; i < ROWS; i = i + 1)
                sel[j][i] = keep2_q[i] && dest2_q[i*LR +: LR] == j[LR-1:0];
    end

    always @* begin
        lanes = {ROWS*4{1'b0}};
        for (l = 0; l < ROWS; l = l + 1) begin
            // >>> on a signed value floors, matching numpy's >> on int64
            y   = $unsigned($signed(p2_q[l]) >>> shift2_q);
            if (pad2_q[l]) begin
                lanes[4 * l +: 4] = 4'd0;
            end else if (acc2_q) begin
                lanes[4 * l +: 4] = nibble_f(p2_q[l][31:0], nib2_q);
            end else if (y[P_W-1]) begin
                lanes[4 * l +: 4] = 4'd0;
            end else if (y > 15) begin
                lanes[4 * l +: 4] = 4'd15;
            end else begin
                lanes[4 * l +: 4] = y[3:0];
            end
        end
    end

    // each output bit is one OR reduction (a balanced tree), not a chain
    reg [ROWS-1:0]   hit;
    integer          m, b, k;
    always @* begin
        for (m = 0; m < ROWS; m = m + 1)
            for (b = 0; b < 4; b = b + 1) begin
                for (k = 0; k < ROWS; k = k + 1)
                    hit[k] = sel[m][k] & lanes[4 * k + b];
                word_o[4 * m + b] = |hit;
                word_hi_o[4 * m + b] = word_o[4 * m + b] & ~lo2_q[m];
            end
    end

    assign valid_o = valid2_q;
    assign addr_o  = addr2_q;
    assign lo_o    = lo2_q;
    assign hi_o    = hi2_q;

endmodule

`default_nettype wire
