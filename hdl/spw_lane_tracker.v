// SPDX-License-Identifier: Apache-2.0
// Per-lane (y, x) pixel coordinates of the current tile and the tap lane mask.
`timescale 1ns / 1ps
`default_nettype none

// spw_lane_tracker: follows models.shiftpw (lane_coords_start / _next,
// tile_flags, lane_mask).  Lane r of tile t holds flat pixel p = t*ROWS + r,
// (y, x) = divmod(p, W), tracked without a divider and without any logic
// whose depth grows with ROWS:
//  * tile 0: (y, x) = divmod(r, W) for a constant r is a table of W: (0, r)
//    when W > r, else W is one of 1..r and the quotient and remainder are
//    constants picked by W == c.  The table reads the latched width, so a
//    tile-0 flag (t0_q) stands in for loading it: while set, the lanes read
//    the table instead of their registers.
//  * the per-tile step (q, m) = divmod(ROWS, W) is the same table for
//    r = ROWS, read from w_i and latched at init_i;
//  * advancing a tile adds m to every x with one conditional wrap and
//    q (+1 on wrap) to every y; correct because m < W and x < W.  The wrap
//    test x + m >= W is x >= W - m, with W - m latched too, so the sums,
//    the test and both y candidates are computed side by side.
//
// Latency: init_i / restart_i / advance_i act at the clock edge (the new
// tile's mask is visible the next cycle); mask_o and inimg_o are
// combinational from the current coordinates and tap_i.
// Priority: init_i > restart_i > advance_i.  init_i also selects tile 0.
// tap_i = (dy+1)*3 + (dx+1), 0..8; tap_i > 8 gives an all-zero mask.
// keep_o, like inimg_o, does not depend on tap_i.
// Assumptions: 1 <= W, H <= 2^DIM_W - 1 (the decoder rejects 0) and
// ROWS <= 2^DIM_W - 1; advance_i is not used beyond the layer's last tile
// plus one (y has ROWS+1 of headroom above H, enough for every lane of every
// real tile).
module spw_lane_tracker #(
    // pixel lanes per tile
    parameter integer ROWS = 8,
    // width of the image height / width fields
    parameter integer DIM_W = 10
) (
    input  wire              clk_i,
    input  wire              rst_ni,
    /* layer geometry */
    // latch h_i / w_i and go to tile 0 of that geometry
    input  wire              init_i,
    input  wire [DIM_W-1:0]  h_i,
    input  wire [DIM_W-1:0]  w_i,
    /* tile walk */
    // back to tile 0 (e.g. at a new group)
    input  wire              restart_i,
    // to the next tile
    input  wire              advance_i,
    /* lane flags of the current tile */
    input  wire [3:0]        tap_i,
    // lane's source pixel for tap_i is inside the image (lane_mask)
    output reg  [ROWS-1:0]   mask_o,
    // lane holds a real pixel (y < H), not padding of the last tile
    output reg  [ROWS-1:0]   inimg_o,
    // lane holds a real pixel at even y and even x: an output pixel of a
    // stride-2 layer (the keep-even drain, docs/architecture.md 6.3)
    output reg  [ROWS-1:0]   keep_o
);

    // q = ROWS div W <= ROWS
    localparam integer QW = $clog2(ROWS + 1);
    // y never exceeds H - 1 + ROWS + q + 1 within a layer (see Assumptions)
    localparam integer YW = DIM_W + $clog2(ROWS + 1) + 1;

    initial begin
        if (ROWS < 1 || DIM_W < 1 || ROWS >= (1 << DIM_W)) begin
            $error("%m: ROWS (%0d) must be in 1..2^DIM_W-1 and DIM_W (%0d) >= 1", ROWS, DIM_W);
            $finish;
        end
    end

    // Bit b of r mod c (quot = 0) or r div c (quot = 1) at index c - 1, for
    // c = 1..ROWS (c > r: 0): the constant data of the divmod table.
    function [ROWS-1:0] dm_bits;
        input integer r;
        input integer b;
        input integer quot;
        integer c;
        begin
            dm_bits = {ROWS{1'b0}};
            // r <= ROWS, so c stays inside the result
            for (c = 1; c <= r; c = c + 1)
                dm_bits[c-1] = (((quot != 0 ? r / c : r % c) / (2 ** b)) % 2) == 1;
        end
    endfunction

    reg [DIM_W-1:0] h_q, w_q;
    reg [DIM_W-1:0] hm1_q, wm1_q;     // H - 1, W - 1 (0 when H or W is 0)
    reg [QW-1:0]    q_q;              // ROWS div W
    reg [QW:0]      q1_q;             // q + 1
    reg [DIM_W-1:0] m_q;              // ROWS mod W
    reg [DIM_W-1:0] wm_q;             // W - m: x + m wraps iff x >= W - m
    reg             t0_q;             // tile 0: the lanes read the table
    reg [YW-1:0]    y_q [0:ROWS-1];
    reg [DIM_W-1:0] x_q [0:ROWS-1];

    /* divmod table: one-hot W == c selects the constants */
    wire [ROWS-1:0] weq_q, weq_i;   // bit c-1: W == c
    genvar gc, gr, gb;
    generate
        for (gc = 1; gc <= ROWS; gc = gc + 1) begin : g_weq
            localparam [DIM_W-1:0] C = gc;
            assign weq_q[gc-1] = w_q == C;
            assign weq_i[gc-1] = w_i == C;
        end
    endgenerate

    // tile-0 lanes from the latched width, lanes 0..ROWS-1
    wire [ROWS*DIM_W-1:0] x0;
    wire [ROWS*QW-1:0]    y0;
    generate
        for (gr = 0; gr < ROWS; gr = gr + 1) begin : g_lane0
            localparam [DIM_W-1:0] R = gr;
            // W > r (W = 0 never reaches a step): the lane is on row 0
            wire row0 = (w_q > R) || (w_q == {DIM_W{1'b0}});
            for (gb = 0; gb < DIM_W; gb = gb + 1) begin : g_x
                localparam [ROWS-1:0] XB = dm_bits(gr, gb, 0);
                assign x0[gr*DIM_W+gb] = row0 ? R[gb] : |(weq_q & XB);
            end
            for (gb = 0; gb < QW; gb = gb + 1) begin : g_y
                localparam [ROWS-1:0] YB = dm_bits(gr, gb, 1);
                assign y0[gr*QW+gb] = !row0 && |(weq_q & YB);
            end
        end
    endgenerate

    // per-tile step (q, m) = divmod(ROWS, w_i), latched by init_i
    localparam [31:0]      ROWS_U = ROWS;
    localparam [DIM_W-1:0] RR = ROWS_U[DIM_W-1:0];
    wire            row0_i = (w_i > RR) || (w_i == {DIM_W{1'b0}});
    wire [DIM_W-1:0] m_i;
    wire [QW-1:0]    q_i;
    generate
        for (gb = 0; gb < DIM_W; gb = gb + 1) begin : g_m
            localparam [ROWS-1:0] XB = dm_bits(ROWS, gb, 0);
            assign m_i[gb] = row0_i ? RR[gb] : |(weq_i & XB);
        end
        for (gb = 0; gb < QW; gb = gb + 1) begin : g_q
            localparam [ROWS-1:0] YB = dm_bits(ROWS, gb, 1);
            assign q_i[gb] = !row0_i && |(weq_i & YB);
        end
    endgenerate

    /* current coordinates: the table at tile 0, the registers after */
    reg [YW-1:0]    cy [0:ROWS-1];
    reg [DIM_W-1:0] cx [0:ROWS-1];
    integer         k;

    always @* begin
        for (k = 0; k < ROWS; k = k + 1) begin
            cy[k] = t0_q ? {{(YW-QW){1'b0}}, y0[k*QW +: QW]} : y_q[k];
            cx[k] = t0_q ? x0[k*DIM_W +: DIM_W] : x_q[k];
        end
    end

    /* next-tile coordinates: x += m with one wrap, y += q + wrap */
    reg             wrap;
    reg [YW-1:0]    ny_n [0:ROWS-1];
    reg [DIM_W-1:0] nx_n [0:ROWS-1];
    integer         j;

    always @* begin
        for (j = 0; j < ROWS; j = j + 1) begin
            wrap    = cx[j] >= wm_q;
            nx_n[j] = wrap ? cx[j] - wm_q : cx[j] + m_q;
            ny_n[j] = wrap ? cy[j] + {{(YW-QW-1){1'b0}}, q1_q} : cy[j] + {{(YW-QW){1'b0}}, q_q};
        end
    end

    integer i;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            h_q <= {DIM_W{1'b0}};
            w_q <= {DIM_W{1'b0}};
            hm1_q <= {DIM_W{1'b0}};
            wm1_q <= {DIM_W{1'b0}};
            q_q <= {QW{1'b0}};
            q1_q <= {{QW{1'b0}}, 1'b1};
            m_q <= {DIM_W{1'b0}};
            wm_q <= {DIM_W{1'b0}};
            t0_q <= 1'b1;
            for (i = 0; i < ROWS; i = i + 1) begin
                y_q[i] <= {YW{1'b0}};
                x_q[i] <= {DIM_W{1'b0}};
            end
        end else begin
            if (init_i) begin
                h_q <= h_i;
                w_q <= w_i;
                hm1_q <= (h_i == {DIM_W{1'b0}}) ? {DIM_W{1'b0}} : h_i - 1'b1;
                wm1_q <= (w_i == {DIM_W{1'b0}}) ? {DIM_W{1'b0}} : w_i - 1'b1;
                q_q <= q_i;
                q1_q <= {1'b0, q_i} + 1'b1;
                m_q <= m_i;
                wm_q <= w_i - m_i;
            end
            if (init_i || restart_i) begin
                t0_q <= 1'b1;
            end else if (advance_i) begin
                t0_q <= 1'b0;
                for (i = 0; i < ROWS; i = i + 1) begin
                    y_q[i] <= ny_n[i];
                    x_q[i] <= nx_n[i];
                end
            end
        end
    end

    /* flags and tap mask (models.shiftpw.tile_flags / lane_mask); y + 1 < H
       and x + 1 < W are compared as y < H - 1 and x < W - 1 */
    reg          use_top, use_bot, use_left, use_right, tap_ok;
    reg          f_top, f_bot, f_left, f_right, f_in;
    integer      n;

    always @* begin
        use_top   = (tap_i == 4'd0) || (tap_i == 4'd1) || (tap_i == 4'd2);
        use_bot   = (tap_i == 4'd6) || (tap_i == 4'd7) || (tap_i == 4'd8);
        use_left  = (tap_i == 4'd0) || (tap_i == 4'd3) || (tap_i == 4'd6);
        use_right = (tap_i == 4'd2) || (tap_i == 4'd5) || (tap_i == 4'd8);
        tap_ok    = tap_i <= 4'd8;
        for (n = 0; n < ROWS; n = n + 1) begin
            f_in       = cy[n] < {{(YW-DIM_W){1'b0}}, h_q};
            f_top      = cy[n] != {YW{1'b0}};
            f_bot      = cy[n] < {{(YW-DIM_W){1'b0}}, hm1_q};
            f_left     = cx[n] != {DIM_W{1'b0}};
            f_right    = cx[n] < wm1_q;
            inimg_o[n] = f_in;
            keep_o[n]  = f_in & ~cy[n][0] & ~cx[n][0];
            mask_o[n]  = tap_ok & f_in & (f_top | ~use_top) & (f_bot | ~use_bot)
                         & (f_left | ~use_left) & (f_right | ~use_right);
        end
    end

endmodule

`default_nettype wire
